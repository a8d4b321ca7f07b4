//! Benchmark (not a test): `ops backup db` and `ops verify latest` run through the `ops`
//! binary against a real PostgreSQL (`mcp_ops_db::testing`), next to a plain
//! `pg_dump -Fc -f file` of the same database measured in the same run.
//!
//! ```sh
//! cargo bench -p mcp-ops-examples --bench backup_cli                     # 64 MiB, 3 rounds
//! MCP_OPS_BENCH_MB=1024 MCP_OPS_BENCH_ROUNDS=1 cargo bench -p mcp-ops-examples --bench backup_cli
//! ```
//!
//! Prints the database and dump sizes, the median of each measurement and the ratio of
//! `ops backup db` to plain pg_dump.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use mcp_ops_db::testing::TestPostgres;
use mcp_ops_db::tools::find_postgres_program;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

/// Runs `ops` with the database and backup directory; panics with its output on failure.
fn ops(url: &str, dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ops"))
        .env("MCP_OPS_STATE_DIR", dir.join("state"))
        .args(["--database-url", url, "--backup-dir"])
        .arg(dir.join("backups"))
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "ops {args:?} failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn dir_bytes(dir: &Path, suffix: &str) -> u64 {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(suffix))
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn main() {
    let target_mb = env_or("MCP_OPS_BENCH_MB", 64);
    let rounds = env_or("MCP_OPS_BENCH_ROUNDS", 3).max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let pg = rt.block_on(TestPostgres::start_owned()).unwrap();
    let url = format!("postgresql://postgres@127.0.0.1:{}/mcp_db", pg.port());
    let t = Instant::now();
    let db_size: i64 = rt.block_on(async {
        let admin = mcp_ops_db::pg::connect(&pg.config()).await.unwrap();
        admin.batch_execute("CREATE DATABASE mcp_db").await.unwrap();
        let db = mcp_ops_db::pg::connect(&pg.config().with_dbname("mcp_db"))
            .await
            .unwrap();
        // ~170 bytes a row on disk: hex text that compresses about 2:1, like real data; and
        // the runbook's users table for the integrity check of `ops verify`.
        let rows = target_mb * 1_048_576 / 170;
        db.batch_execute(&format!(
            "CREATE TABLE users (id int PRIMARY KEY, email text);
             INSERT INTO users SELECT g, 'user' || g || '@example.org' FROM generate_series(1, 1000) g;
             CREATE TABLE events (id bigint, kind int, payload text, created timestamptz);
             INSERT INTO events SELECT g, g % 17, md5(g::text) || md5((g * 31)::text) || md5((g * 7)::text),
                    now() - g * interval '1 second' FROM generate_series(1, {rows}) g;"
        ))
        .await
        .unwrap();
        db.query_one("SELECT pg_database_size(current_database())", &[])
            .await
            .unwrap()
            .get(0)
    });
    println!(
        "database mcp_db: {:.0} MiB, generated in {:.1?}",
        mib(db_size as u64),
        t.elapsed()
    );

    let work = tempfile::tempdir().unwrap();
    let pg_dump = find_postgres_program("pg_dump").unwrap();
    let (mut plain, mut backup, mut verify) = (Vec::new(), Vec::new(), Vec::new());
    let mut dump_size = 0;
    for round in 0..rounds {
        let file = work.path().join("plain.dump");
        let t = Instant::now();
        let status = Command::new(&pg_dump)
            .args(["-Fc", "-f"])
            .arg(&file)
            .args(["-h", "127.0.0.1", "-p", &pg.port().to_string()])
            .args(["-U", "postgres", "mcp_db"])
            .status()
            .unwrap();
        assert!(status.success(), "plain pg_dump failed");
        plain.push(t.elapsed().as_secs_f64());
        let plain_size = std::fs::metadata(&file).unwrap().len();
        std::fs::remove_file(&file).unwrap();

        let t = Instant::now();
        ops(&url.clone(), work.path(), &["backup", "db", "mcp_db"]);
        backup.push(t.elapsed().as_secs_f64());
        dump_size = dir_bytes(&work.path().join("backups"), ".dump");

        let t = Instant::now();
        let out = ops(&url, work.path(), &["verify", "latest"]);
        assert!(out.contains("verified"), "{out}");
        verify.push(t.elapsed().as_secs_f64());
        println!(
            "round {round}: plain pg_dump {:.2} s ({:.0} MiB), ops backup db {:.2} s ({:.0} MiB), ops verify latest {:.2} s",
            plain[round as usize],
            mib(plain_size),
            backup[round as usize],
            mib(dump_size),
            verify[round as usize]
        );
        std::fs::remove_dir_all(work.path().join("backups")).unwrap();
    }
    let (p, b, v) = (median(plain), median(backup), median(verify));
    println!("rounds: {rounds}; dump size {:.0} MiB", mib(dump_size));
    println!("median plain pg_dump -Fc -f:  {p:.2} s");
    println!("median ops backup db:         {b:.2} s");
    println!("median ops verify latest:     {v:.2} s (checksum, pg_restore --list, test restore)");
    println!("ratio ops backup db / plain pg_dump: {:.3}", b / p);
}

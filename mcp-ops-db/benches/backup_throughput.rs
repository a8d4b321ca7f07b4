//! Benchmark (not a test): streamed, checksummed backup versus plain `pg_dump -Fc -f file`
//! on the same ~1 GB database, plus the peak RSS of this process.
//!
//! ```sh
//! cargo bench -p mcp-ops-db --features testing --bench backup_throughput
//! MCP_OPS_BENCH_MB=256 cargo bench -p mcp-ops-db --features testing --bench backup_throughput
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use mcp_ops_db::pg::connect;
use mcp_ops_db::testing::TestPostgres;
use mcp_ops_db::tools::find_postgres_program;
use mcp_ops_db::{LocalDirStore, PgBackups};
use std::sync::Arc;
use std::time::Instant;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let target_mb: u64 = std::env::var("MCP_OPS_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let pg = TestPostgres::start_owned().await.unwrap();
    let config = pg.create_database("bench").await.unwrap();
    let client = connect(&config).await.unwrap();
    // ~170 bytes per row on disk: hex text that compresses about 2:1, like real data.
    let rows = target_mb * 1_048_576 / 170;
    let t = Instant::now();
    client
        .batch_execute(&format!(
            "CREATE TABLE events (id bigint, kind int, payload text, created timestamptz);
             INSERT INTO events SELECT g, g % 17, md5(g::text) || md5((g * 31)::text) || md5((g * 7)::text),
                    now() - g * interval '1 second' FROM generate_series(1, {rows}) g;"
        ))
        .await
        .unwrap();
    let size: i64 = client
        .query_one("SELECT pg_database_size(current_database())", &[])
        .await
        .unwrap()
        .get(0);
    println!(
        "generated {rows} rows, database {:.0} MiB in {:.1?}",
        mb(size as u64),
        t.elapsed()
    );

    let dir = tempfile::tempdir().unwrap();
    let pg_dump = find_postgres_program("pg_dump").unwrap();
    let backups = PgBackups::new(
        config.clone(),
        Arc::new(LocalDirStore::new(dir.path().join("store")).unwrap()),
    );
    let mut best_plain = f64::MAX;
    let mut best_ours = f64::MAX;
    let mut dump_size = 0;
    let rounds: usize = std::env::var("MCP_OPS_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    println!("load average before: {}", loadavg());
    for round in 0..rounds {
        let file = dir.path().join(format!("plain-{round}.dump"));
        let t = Instant::now();
        let status = std::process::Command::new(&pg_dump)
            .args(["-Fc", "-f"])
            .arg(&file)
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &pg.port().to_string(),
                "-U",
                "postgres",
                config.dbname(),
            ])
            .status()
            .unwrap();
        assert!(status.success());
        best_plain = best_plain.min(t.elapsed().as_secs_f64());
        dump_size = std::fs::metadata(&file).unwrap().len();
        std::fs::remove_file(&file).unwrap();

        let t = Instant::now();
        let m = backups.backup().await.unwrap();
        best_ours = best_ours.min(t.elapsed().as_secs_f64());
        backups.store().delete(&m.id).await.unwrap();
        println!(
            "round {round}: best plain {best_plain:.2} s, best ours {best_ours:.2} s, load {}",
            loadavg()
        );
    }
    let db = mb(size as u64);
    println!("dump size {:.0} MiB", mb(dump_size));
    println!(
        "plain pg_dump -Fc -f: {best_plain:.2} s ({:.1} MiB/s of database)",
        db / best_plain
    );
    println!(
        "mcp-ops-db backup:    {best_ours:.2} s ({:.1} MiB/s of database)",
        db / best_ours
    );
    println!(
        "throughput ratio (ours / plain): {:.3}",
        best_plain / best_ours
    );
    println!(
        "peak RSS of this process: {:.1} MiB",
        peak_rss_kib() as f64 / 1024.0
    );
}

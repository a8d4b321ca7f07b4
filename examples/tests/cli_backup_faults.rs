//! `ops backup db`, `backups`, `verify` and `restore` under faults, against a real
//! PostgreSQL: a full disk (a size-limited tmpfs mounted by the test), bad files in the backup
//! directory (corrupt, empty, foreign, renamed manifests; a dump that is a FIFO or a symlink
//! to /dev/zero), private modes, no directory made by bad input, and leftovers of interrupted
//! backups cleaned and reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, SystemTime};

use common::ops;
use mcp_ops_db::testing::TestPostgres;

/// A tmpfs of `size` on a fresh directory (the test fails saying why if it cannot mount).
fn small_disk(size: &str) -> mcp_ops_db::testing::SmallDisk {
    mcp_ops_db::testing::SmallDisk::mount(size).unwrap_or_else(|e| panic!("{e}"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A private PostgreSQL with `mcp_db`: `users` (100 rows) and `rows` rows of ~100 bytes.
fn postgres(rt: &tokio::runtime::Runtime, rows: u32) -> (TestPostgres, String) {
    let pg = rt.block_on(TestPostgres::start()).unwrap();
    rt.block_on(async {
        let admin = mcp_ops_db::pg::connect(&pg.config()).await.unwrap();
        admin.batch_execute("CREATE DATABASE mcp_db").await.unwrap();
        let db = mcp_ops_db::pg::connect(&pg.config().with_dbname("mcp_db"))
            .await
            .unwrap();
        db.batch_execute(&format!(
            "CREATE TABLE users (id int PRIMARY KEY); \
             INSERT INTO users SELECT generate_series(1, 100); \
             CREATE TABLE events AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS v \
             FROM generate_series(1, {rows}) g;"
        ))
        .await
        .unwrap();
    });
    let url = format!("postgresql://postgres@127.0.0.1:{}/mcp_db", pg.port());
    (pg, url)
}

/// `ops --database-url URL --backup-dir DIR args…`, bounded (a hang fails the test).
fn ops_in(url: &str, dir: &Path, args: &[&str]) -> Output {
    ops()
        .args(["--database-url", url, "--backup-dir"])
        .arg(dir)
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Asserts exit 2 with one line on stderr containing each of `words`.
fn one_line_exit_2(out: &Output, words: &[&str]) {
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout {} stderr {err}",
        text(&out.stdout)
    );
    assert_eq!(err.lines().count(), 1, "{err:?}");
    for w in words {
        assert!(err.contains(w), "{w:?} not in {err}");
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn backup_id(url: &str, dir: &Path) -> String {
    let out = ops_in(url, dir, &["--output", "json", "backup", "db", "mcp_db"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["report"]["id"].as_str().unwrap().to_owned()
}

#[test]
fn a_full_disk_fails_the_backup_with_the_os_reason_and_leaves_every_command_working() {
    let rt = runtime();
    let (_pg, url) = postgres(&rt, 40_000);
    let disk = small_disk("256k");

    let out = ops_in(&url, disk.path(), &["backup", "db", "mcp_db"]);
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout {} stderr {err}",
        text(&out.stdout)
    );
    assert!(err.contains("No space left on device"), "{err}");
    assert!(
        !text(&out.stdout).contains("written to"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        names(disk.path()).is_empty(),
        "left: {:?}",
        names(disk.path())
    );

    let out = ops_in(&url, disk.path(), &["backups"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("0 backups"),
        "{}",
        text(&out.stdout)
    );
    for cmd in [&["verify", "latest"][..], &["restore", "latest"][..]] {
        one_line_exit_2(&ops_in(&url, disk.path(), cmd), &["no database backup yet"]);
    }
    // Only bad manifests: latest says how many were skipped and where to look.
    std::fs::write(disk.path().join("zero.manifest.json"), "").unwrap();
    one_line_exit_2(
        &ops_in(&url, disk.path(), &["verify", "latest"]),
        &["no database backup yet (1 bad files skipped: see `ops backups`)"],
    );
}

#[test]
fn bad_manifests_are_skipped_and_named_and_a_renamed_one_is_refused() {
    let rt = runtime();
    let (_pg, url) = postgres(&rt, 10);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("backups");
    let id = backup_id(&url, &dir);
    let good = std::fs::read_to_string(dir.join(format!("{id}.manifest.json"))).unwrap();

    std::fs::write(dir.join("corrupt.manifest.json"), "{ not json").unwrap();
    std::fs::write(dir.join("empty.manifest.json"), "").unwrap();
    std::fs::write(dir.join("foreign.manifest.json"), r#"{"hello": "world"}"#).unwrap();
    // A copy of a valid manifest under another name: it must not verify the other backup.
    std::fs::write(dir.join("zzz-renamed.manifest.json"), &good).unwrap();
    std::fs::create_dir(dir.join("adir.manifest.json")).unwrap();

    let out = ops_in(&url, &dir, &["backups"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        stdout.contains(&id) && stdout.contains("1 backups"),
        "{stdout}"
    );
    for (name, why) in [
        ("corrupt", "line 1 column"),
        ("empty", "empty manifest"),
        ("foreign", "line 1 column"),
        ("zzz-renamed", "file name says zzz-renamed"),
        ("adir", "not a regular file"),
    ] {
        let path = dir
            .join(format!("{name}.manifest.json"))
            .display()
            .to_string();
        let line = stdout
            .lines()
            .find(|l| l.contains(&format!("skipped {path}: ")))
            .unwrap_or_else(|| panic!("{name} not reported: {stdout}"));
        assert!(line.contains(why), "{line}");
    }

    // latest picks among the valid ones; the renamed copy and the corrupt one are refused,
    // one line naming the file.
    let out = ops_in(&url, &dir, &["verify", "latest"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!("backup {id}: verified")));
    let renamed = dir.join("zzz-renamed.manifest.json").display().to_string();
    one_line_exit_2(
        &ops_in(&url, &dir, &["verify", "zzz-renamed"]),
        &[&renamed, "refused"],
    );
    let corrupt = dir.join("corrupt.manifest.json").display().to_string();
    one_line_exit_2(&ops_in(&url, &dir, &["verify", "corrupt"]), &[&corrupt]);
    one_line_exit_2(
        &ops_in(&url, &dir, &["restore", "zzz-renamed"]),
        &[&renamed, "refused"],
    );
}

#[test]
fn a_dump_that_is_a_fifo_or_a_link_to_dev_zero_is_refused_without_hanging() {
    let rt = runtime();
    let (_pg, url) = postgres(&rt, 10);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("backups");
    for kind in ["fifo", "symlink"] {
        let id = backup_id(&url, &dir);
        let dump = dir.join(format!("{id}.dump"));
        std::fs::remove_file(&dump).unwrap();
        match kind {
            "fifo" => assert!(
                std::process::Command::new("mkfifo")
                    .arg(&dump)
                    .status()
                    .unwrap()
                    .success()
            ),
            _ => std::os::unix::fs::symlink("/dev/zero", &dump).unwrap(),
        }
        let word = if kind == "fifo" {
            "not a regular file"
        } else {
            "symbolic link"
        };
        let path = dump.display().to_string();
        one_line_exit_2(&ops_in(&url, &dir, &["verify", &id]), &[&path, word]);
        one_line_exit_2(&ops_in(&url, &dir, &["restore", &id]), &[&path, word]);
        std::fs::remove_file(&dump).unwrap();
        std::fs::remove_file(dir.join(format!("{id}.manifest.json"))).unwrap();
    }
}

#[test]
fn backups_are_private_and_bad_input_creates_no_directory() {
    let rt = runtime();
    let (_pg, url) = postgres(&rt, 10);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("new").join("backups");

    // Reads and bad input make nothing.
    let out = ops_in(&url, &dir, &["backups"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    one_line_exit_2(&ops_in(&url, &dir, &["verify", "../etc"]), &["backup id"]);
    one_line_exit_2(
        &ops_in(&url, &dir, &["backup", "db", "mcp_db", "--timeout", "0"]),
        &["--timeout"],
    );
    one_line_exit_2(
        &ops_in(
            "postgres://u@host:notaport/db",
            &dir,
            &["backup", "db", "x"],
        ),
        &["--database-url"],
    );
    assert!(!tmp.path().join("new").exists(), "a directory was created");

    let id = backup_id(&url, &dir);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join(format!("{id}.dump"))), 0o600);
    assert_eq!(mode(&dir.join(format!("{id}.manifest.json"))), 0o600);
}

#[test]
fn stale_leftovers_of_interrupted_backups_are_removed_and_reported() {
    let rt = runtime();
    let (_pg, url) = postgres(&rt, 10);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("backups");
    std::fs::create_dir(&dir).unwrap();
    let old = dir.join(".mcp_db-20200101T000000Z-00000000.dump.partial");
    let fresh = dir.join(".mcp_db-20200101T000000Z-11111111.dump.partial");
    for p in [&old, &fresh] {
        std::fs::write(p, b"PGDMP partial").unwrap();
    }
    std::fs::OpenOptions::new()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(3 * 3600))
        .unwrap();

    let out = ops_in(&url, &dir, &["backup", "db", "mcp_db"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        stdout.contains(&format!(
            "removed {}: left by an interrupted backup",
            old.display()
        )),
        "{stdout}"
    );
    assert!(!old.exists());
    assert!(
        fresh.exists(),
        "a recent one may belong to a running backup"
    );
}

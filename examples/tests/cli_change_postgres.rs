//! Change requests and the journal in PostgreSQL (`--incidents-url`), shared by two
//! operators with state directories of their own: one requests, another approves, the
//! first deploys, and either verifies the one journal and reads its timeline.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::ops;
use mcp_ops_db::testing::TestPostgres;
use serde_json::Value;

const PATCH: &str = "mcp-typescript-api=ghcr.io/your-org/mcp-typescript-server:v1.0.1";

#[test]
fn changes_and_the_journal_in_postgres_are_shared_between_machines() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pg = rt.block_on(TestPostgres::start()).unwrap();
    let url = format!("postgresql://postgres@127.0.0.1:{}/postgres", pg.port());
    let (alice, bob) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let run = |dir: &tempfile::TempDir, who: &str, args: &[&str]| -> (Option<i32>, Value, String) {
        let out = ops()
            .env("MCP_OPS_STATE_DIR", dir.path())
            .args(["--incidents-url", &url, "--output", "json", "--as", who])
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let doc = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (out.status.code(), doc, stderr)
    };
    let (code, doc, err) = run(
        &alice,
        "oncall",
        &["change", "request", "deploy", "mcp-typescript-api", PATCH],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("changes and journal: postgres 127.0.0.1:"),
        "{err}"
    );
    let id = doc["report"]["change"]["id"].as_str().unwrap().to_owned();
    let (code, _, err) = run(&bob, "oncall", &["change", "approve", &id]);
    assert_eq!(code, Some(1), "self-approval from another machine: {err}");
    let (code, _, err) = run(&bob, "engineering-manager", &["change", "approve", &id]);
    assert_eq!(code, Some(0), "{err}");
    let (code, doc, err) = run(
        &alice,
        "oncall",
        &[
            "--enforce-changes",
            "--change",
            &id,
            "deploy",
            "mcp-typescript-api",
            PATCH,
            "--evidence",
            "ci",
            "--bake-seconds",
            "1",
        ],
    );
    assert_eq!(code, Some(0), "{err}\n{doc}");
    let (code, doc, err) = run(&bob, "architect", &["journal", "verify"]);
    assert_eq!(code, Some(0), "{err}\n{doc}");
    assert!(doc["report"]["records"].as_u64().unwrap() > 3, "{doc}");
    let (code, doc, _) = run(&bob, "architect", &["--change", &id, "journal", "show"]);
    assert_eq!(code, Some(0));
    let actors: Vec<&str> = doc["report"]["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["actor"].as_str().unwrap())
        .collect();
    assert!(
        actors.contains(&"oncall") && actors.contains(&"engineering-manager"),
        "{actors:?}"
    );
    // Nothing was kept in either state directory.
    for dir in [&alice, &bob] {
        assert!(!dir.path().join("changes.json").exists());
        assert!(!dir.path().join("journal.jsonl").exists());
    }
}

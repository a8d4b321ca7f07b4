//! 50 `ops incident …` processes at once on one state — the state directory's file, or one
//! PostgreSQL database (`--incidents-url`) — for each operation (open, update, ack, resolve,
//! tick): every process exits 0 and every change is kept.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::ops;
use mcp_ops_db::testing::TestPostgres;
use serde_json::Value;

const N: usize = 50;

/// Where the incidents are: a state directory, plus `--incidents-url` for PostgreSQL.
struct Store<'a> {
    state: &'a Path,
    url: Option<String>,
}

impl Store<'_> {
    /// Runs `ops --output json incident <args>`; asserts exit 0; returns the document.
    fn run(&self, args: &[String]) -> Value {
        let mut cmd = ops();
        cmd.env("MCP_OPS_STATE_DIR", self.state);
        if let Some(url) = &self.url {
            cmd.args(["--incidents-url", url]);
        }
        let out = cmd
            .args(["--output", "json", "incident"])
            .args(args)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(&stdout).unwrap()
    }

    /// `N` processes at once, the k-th running `args(k)`; their documents.
    fn parallel(&self, args: impl Fn(usize) -> Vec<String> + Sync) -> Vec<Value> {
        std::thread::scope(|s| {
            let args = &args;
            let handles: Vec<_> = (0..N)
                .map(|k| s.spawn(move || self.run(&args(k))))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        })
    }

    fn list(&self) -> Vec<Value> {
        self.run(&["list".to_owned()])["report"]
            .as_array()
            .unwrap()
            .clone()
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

/// Every operation, 50 processes at once; `backdate` moves an incident's start 40 minutes
/// back (so levels 2 and 3 are due).
fn every_change_is_kept(store: &Store<'_>, backdate: impl Fn(&str)) {
    // open
    let opened = store.parallel(|k| strings(&["open", &format!("Outage {k}"), "--severity", "P2"]));
    let ids: Vec<String> = opened
        .iter()
        .map(|d| d["report"]["incident"]["id"].as_str().unwrap().to_owned())
        .collect();
    let listed = store.list();
    assert_eq!(listed.len(), N, "{N} opened, {} listed", listed.len());
    // update one incident
    let first = ids[0].clone();
    store.parallel(|k| strings(&["update", &first, &format!("step {k}")]));
    let inc = store
        .list()
        .into_iter()
        .find(|i| i["id"] == first.as_str())
        .unwrap();
    let updates = inc["updates"].as_array().unwrap();
    assert_eq!(updates.len(), N, "{N} updates sent, {} kept", updates.len());
    // acknowledge one incident by 50 people: one wins, everyone sees the winner
    let acked = store.parallel(|k| strings(&["ack", &first, "--by", &format!("oncall-{k}")]));
    let winners: std::collections::BTreeSet<String> = acked
        .iter()
        .map(|d| d["report"]["state"]["by"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(winners.len(), 1, "{winners:?}");
    // resolve every incident at once
    store.parallel(|k| strings(&["resolve", &ids[k], "fixed"]));
    assert!(store.list().is_empty(), "{N} resolved, some still open");
    // tick an overdue incident 50 times at once: L2 and L3 once each
    let overdue = store.run(&strings(&["open", "Overdue", "--severity", "P2"]));
    let id = overdue["report"]["incident"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    backdate(&id);
    let ticks = store.parallel(|_| strings(&["tick"]));
    let mut levels: Vec<u64> = ticks
        .iter()
        .flat_map(|d| d["report"].as_array().unwrap().clone())
        .filter(|a| a["incident"] == id.as_str())
        .map(|a| a["level"].as_u64().unwrap())
        .collect();
    levels.sort_unstable();
    assert_eq!(levels, [2, 3]);
    assert_eq!(store.list()[0]["level"], 3);
}

fn forty_minutes_ago() -> String {
    jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_mins(40))
        .unwrap()
        .to_string()
}

/// Both stores in one test, one after the other: 50 processes at a time is what the two
/// cores of a CI machine take without timing anything out.
#[test]
fn fifty_processes_per_operation_lose_nothing_on_a_file_and_on_postgresql() {
    on_one_state_file();
    on_one_database();
}

fn on_one_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store {
        state: dir.path(),
        url: None,
    };
    every_change_is_kept(&store, |id| {
        let path = dir.path().join("incidents.json");
        let mut doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for i in doc["incidents"].as_array_mut().unwrap() {
            if i["id"] == id {
                i["started"] = Value::String(forty_minutes_ago());
            }
        }
        std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    });
}

fn on_one_database() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pg = rt.block_on(TestPostgres::start()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store {
        state: dir.path(),
        url: Some(format!(
            "postgresql://postgres@127.0.0.1:{}/postgres",
            pg.port()
        )),
    };
    every_change_is_kept(&store, |id| {
        rt.block_on(async {
            let c = mcp_ops_db::pg::connect(&pg.config()).await.unwrap();
            let sql = "UPDATE mcp_ops_incidents SET body = jsonb_set(body::jsonb, '{started}', to_jsonb($2::text))::text WHERE id = $1";
            let n = c.execute(sql, &[&id, &forty_minutes_ago()]).await.unwrap();
            assert_eq!(n, 1);
        });
    });
    assert!(!dir.path().join("incidents.json").exists());
}

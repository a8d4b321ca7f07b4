//! The escalation engine over the PostgreSQL store: a restart resumes without repeating or
//! losing a notification. Needs PostgreSQL 15 (`/usr/lib/postgresql/15/bin`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use deadpool_postgres::{Pool, Runtime};
use jiff::Timestamp;
use mcp_ops_alerts::escalation::{
    DeliveryStatus, EscalationEngine, EscalationStore, PgEscalationStore,
};
use mcp_ops_core::notify::{Delivery, Message, MessageKind};
use mcp_ops_core::{
    Error, Escalator, Intent, NewIncident, Notifier, Severity, SharedClock, TokioClock,
};

#[path = "support/prune.rs"]
mod prune;

const BIN: &str = "/usr/lib/postgresql/15/bin";
const INSTALL: &str = "apt-get install -y --no-install-recommends postgresql-15";

/// A throw-away PostgreSQL cluster on a private socket directory; stopped on drop.
///
/// Not mcp-ops-db's `TestPostgres`: the restart test runs on paused tokio time, and a pool
/// with connect timeouts (as `PgBackend` builds) times out at once there; this harness starts
/// synchronously and its pool has no timeouts.
struct TestPg {
    child: Child,
    dir: tempfile::TempDir,
}

fn as_postgres(root: bool, cmd: &str) -> Command {
    if root {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=postgres",
            "--regid=postgres",
            "--clear-groups",
            "--",
        ])
        .arg(cmd);
        c
    } else {
        Command::new(cmd)
    }
}

impl TestPg {
    fn start() -> Self {
        Self::start_with(&[])
    }

    /// Started with extra `-c` settings.
    fn start_with(settings: &[&str]) -> Self {
        let initdb = Path::new(BIN).join("initdb");
        assert!(
            initdb.is_file(),
            "PostgreSQL 15 is not installed; install it with: {INSTALL}"
        );
        let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
        let dir = tempfile::tempdir().unwrap();
        if root {
            let ok = Command::new("chown")
                .arg("postgres:postgres")
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(ok.success());
        }
        let data: PathBuf = dir.path().join("data");
        let out = as_postgres(root, initdb.to_str().unwrap())
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "-N",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let child = as_postgres(root, Path::new(BIN).join("postgres").to_str().unwrap())
            .arg("-D")
            .arg(&data)
            .args(["-p", "5432", "-k"])
            .arg(dir.path())
            .args(["-c", "listen_addresses=", "-c", "fsync=off"])
            .args(settings.iter().flat_map(|s| ["-c", s]))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pg = Self { child, dir };
        let sock = pg.dir.path().join(".s.PGSQL.5432");
        let deadline = Instant::now() + Duration::from_secs(20);
        let ready = || {
            sock.exists()
                && Command::new(Path::new(BIN).join("pg_isready"))
                    .arg("-h")
                    .arg(pg.dir.path())
                    .args(["-p", "5432", "-U", "postgres", "-q"])
                    .status()
                    .is_ok_and(|s| s.success())
        };
        while !ready() {
            assert!(Instant::now() < deadline, "postgres did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        pg
    }

    /// One unpooled connection, its driver running on the current runtime.
    async fn connect(&self) -> deadpool_postgres::tokio_postgres::Client {
        let (client, conn) = deadpool_postgres::tokio_postgres::connect(
            &format!(
                "host={} port=5432 user=postgres dbname=postgres",
                self.dir.path().display()
            ),
            deadpool_postgres::tokio_postgres::NoTls,
        )
        .await
        .unwrap();
        tokio::spawn(conn);
        client
    }

    fn pool(&self) -> Pool {
        let mut cfg = deadpool_postgres::Config::new();
        cfg.host = Some(self.dir.path().to_string_lossy().into_owned());
        cfg.port = Some(5432);
        cfg.user = Some("postgres".into());
        cfg.dbname = Some("postgres".into());
        cfg.create_pool(
            Some(Runtime::Tokio1),
            deadpool_postgres::tokio_postgres::NoTls,
        )
        .unwrap()
    }
}

impl Drop for TestPg {
    fn drop(&mut self) {
        // SIGINT: fast shutdown.
        let _ = Command::new("kill")
            .arg("-INT")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Recorder {
    sent: Mutex<Vec<Message>>,
    fail_first: AtomicU32,
}

impl Recorder {
    fn new(fail_first: u32) -> Arc<Self> {
        Arc::new(Self {
            sent: Mutex::new(Vec::new()),
            fail_first: AtomicU32::new(fail_first),
        })
    }

    fn kinds(&self) -> Vec<(MessageKind, Option<u8>)> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .map(|m| (m.kind, m.level))
            .collect()
    }
}

#[async_trait]
impl Notifier for Recorder {
    fn channel(&self) -> &'static str {
        "slack"
    }

    fn accepts(&self, _: Severity) -> bool {
        true
    }

    async fn send(&self, message: &Message) -> mcp_ops_core::Result<Delivery> {
        if self
            .fail_first
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(Error::unavailable("slack", "down"));
        }
        self.sent.lock().unwrap().push(message.clone());
        Ok(Delivery {
            channel: "slack".into(),
            reference: None,
            at: Timestamp::UNIX_EPOCH,
        })
    }
}

fn t0() -> Timestamp {
    "2025-01-08T14:30:00Z".parse().unwrap()
}

async fn advance_to(clock: &SharedClock, minutes: i64) {
    let target = t0()
        .checked_add(jiff::SignedDuration::from_mins(minutes))
        .unwrap();
    tokio::time::advance(Duration::try_from(target.duration_since(clock.now())).unwrap()).await;
}

#[tokio::test(start_paused = true)]
async fn engine_restarted_from_postgres_sends_l2_once_and_never_l1_again() {
    let pg = TestPg::start();
    let clock: SharedClock = Arc::new(TokioClock::starting_at(t0()));
    let intent = Intent::new("incident", "ops-bot").unwrap();
    let p1 = NewIncident {
        title: "High error rate".into(),
        severity: Severity::P1,
        service: "MCP Production".into(),
        impact: "High error rate (15%) on API endpoints".into(),
        investigating: "@ops-team".into(),
    };

    // First engine: opens at t0, ticks at t0+10, then goes away (with its pool).
    let first = Recorder::new(0);
    let id = {
        let store = PgEscalationStore::new(pg.pool());
        store.migrate().await.unwrap();
        let e = EscalationEngine::new(Arc::new(store), clock.clone()).with_notifier(first.clone());
        let inc = e.open(&p1, &intent).await.unwrap();
        advance_to(&clock, 10).await;
        assert!(e.tick(clock.now()).await.unwrap().is_empty());
        inc.id
    };

    // Second engine over a new pool: its channel fails once at t0+15.
    let second = Recorder::new(1);
    let store = Arc::new(PgEscalationStore::new(pg.pool()));
    store.migrate().await.unwrap();
    let e = EscalationEngine::new(store.clone(), clock.clone()).with_notifier(second.clone());
    assert_eq!(e.incident(&id).await.unwrap().level, 1);
    assert!(e.tick(clock.now()).await.unwrap().is_empty());
    advance_to(&clock, 15).await;
    assert_eq!(e.tick(clock.now()).await.unwrap().len(), 1);
    assert!(second.kinds().is_empty(), "first attempt failed");
    assert_eq!(
        store.pending().await.unwrap().len(),
        1,
        "the failed L2 is kept, not lost"
    );
    advance_to(&clock, 16).await;
    assert!(e.tick(clock.now()).await.unwrap().is_empty());
    assert_eq!(first.kinds(), [(MessageKind::Detected, Some(1))]);
    assert_eq!(second.kinds(), [(MessageKind::Escalation, Some(2))]);
    let outbox = e.outbox(&id).await.unwrap();
    assert_eq!(outbox.len(), 2);
    assert!(matches!(
        outbox[1].status,
        DeliveryStatus::Sent { attempts: 2, .. }
    ));

    advance_to(&clock, 23).await;
    e.acknowledge(&id, &intent).await.unwrap();
    let resolved = e
        .resolve(&id, "Scaled database connections", &intent)
        .await
        .unwrap();
    assert!(resolved.is_resolved());
    let sent = second.sent.lock().unwrap().clone();
    assert!(sent.last().unwrap().body.contains("Duration: 23 minutes"));
    assert!(e.open_incidents().await.unwrap().is_empty());
    // The next number continues after a restart.
    assert!(store.next_sequence().await.unwrap() >= 2);
}

#[tokio::test]
async fn prune_forgets_only_old_delivered_resolved_incidents_in_postgres() {
    let pg = TestPg::start();
    let store = PgEscalationStore::new(pg.pool());
    store.migrate().await.unwrap();
    prune::prune_keeps_what_is_still_needed(&store).await;
}

/// 50 engines over one database (as 50 `ops --incidents-url` processes are; they share one
/// pool here so the server's connection limit holds): every concurrent open, update,
/// acknowledge, resolve and tick is kept, and every message is sent once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_engines_over_one_database_lose_no_change() {
    let pg = TestPg::start();
    PgEscalationStore::new(pg.pool()).migrate().await.unwrap();

    let slack = mcp_ops_core::mock::RecordingNotifier::slack();
    let pool = pg.pool();
    let replicas: Vec<Arc<dyn Escalator>> = (0..50)
        .map(|_| {
            let store = PgEscalationStore::new(pool.clone());
            Arc::new(
                EscalationEngine::new(Arc::new(store), Arc::new(mcp_ops_core::SystemClock))
                    .with_notifier(Arc::new(slack.clone())),
            ) as Arc<dyn Escalator>
        })
        .collect();
    mcp_ops_core::testing::escalator_concurrency_contract(
        &replicas,
        &mcp_ops_core::testing::EscalatorFixture::runbook().with_notifier(slack),
        50,
    )
    .await
    .unwrap();
}

/// A server at its connection limit (as when many `ops` processes tick at once) is asked
/// again until a connection frees; one that stays full is reported unavailable with the
/// server's reason once the store's patience is spent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_server_is_asked_again_until_a_connection_frees() {
    let pg = TestPg::start_with(&["max_connections=3", "superuser_reserved_connections=0"]);
    PgEscalationStore::new(pg.pool()).migrate().await.unwrap();
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(pg.connect().await);
    }

    let impatient =
        PgEscalationStore::new(pg.pool()).with_busy_patience(Duration::from_millis(300));
    let err = impatient.incidents().await.unwrap_err();
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");
    assert!(err.to_string().contains("53300"), "{err}");

    let store = PgEscalationStore::new(pg.pool());
    let started = Instant::now();
    let waiting = tokio::spawn(async move { store.incidents().await });
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(!waiting.is_finished(), "answered while the server was full");
    held.pop();
    let listed = waiting.await.unwrap().unwrap();
    assert!(listed.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(800));
}

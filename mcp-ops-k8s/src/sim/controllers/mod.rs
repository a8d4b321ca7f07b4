//! Controllers: deployment, replicaset, statefulset, scheduler + kubelet, job, HPA and the
//! garbage collector. They run either in the background (tokio task) or step by step.

mod ctx;
mod deployment;
mod deployment_status;
mod endpoints;
mod events;
mod gc;
mod hpa;
mod job;
mod kubelet;
mod namespace;
mod replicaset;
mod rollout;
mod scheduler;
mod statefulset;

pub use ctx::Ctx;

use super::store::Store;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How a container with a matching image fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFailure {
    /// The image cannot be pulled: `ErrImagePull` / `ImagePullBackOff`, pod stays Pending.
    PullBackOff,
    /// The container starts and exits: `CrashLoopBackOff` with a growing restartCount.
    CrashLoop,
    /// The container is killed for memory: `OOMKilled`, then `CrashLoopBackOff`.
    OomKilled,
    /// Job pods with this image fail (exit code 1); other pods crash-loop.
    JobFails,
}

/// Rule: containers whose image contains `image` fail as `failure` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRule {
    /// Substring of the image reference.
    pub image: String,
    /// What happens.
    pub failure: ImageFailure,
}

/// Settings of the controllers.
#[derive(Debug, Clone)]
pub struct ControllerConfig {
    /// Time from pod creation to Running/Ready (simulated clock).
    pub pod_startup: Duration,
    /// Image failure rules.
    pub image_rules: Vec<ImageRule>,
    /// Whether HPAs change their target's replicas (otherwise they only report status).
    pub hpa_scales: bool,
    /// Load factor: synthetic usage = requests × factor (also used by the HPA).
    pub load_factor: f64,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        Self {
            pod_startup: Duration::ZERO,
            image_rules: Vec::new(),
            hpa_scales: false,
            load_factor: 0.45,
        }
    }
}

/// The set of controllers over one store.
#[derive(Debug)]
pub struct Controllers {
    store: Arc<Store>,
    config: Mutex<ControllerConfig>,
    events: Mutex<events::Correlator>,
}

impl Controllers {
    /// Controllers over `store`.
    pub fn new(store: Arc<Store>, config: ControllerConfig) -> Self {
        Self {
            store,
            config: Mutex::new(config),
            events: Mutex::new(events::Correlator::default()),
        }
    }

    /// A copy of the configuration.
    pub fn config(&self) -> ControllerConfig {
        self.config.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Changes the configuration.
    pub fn configure(&self, f: impl FnOnce(&mut ControllerConfig)) {
        if let Ok(mut c) = self.config.lock() {
            f(&mut c);
        }
    }

    /// Runs every controller once; returns the number of writes made.
    pub fn pass(&self) -> usize {
        let cfg = self.config();
        let mut ctx = Ctx::new(&self.store, &cfg, &self.events);
        namespace::sync_all(&mut ctx);
        deployment::sync_all(&mut ctx);
        replicaset::sync_all(&mut ctx);
        statefulset::sync_all(&mut ctx);
        job::sync_all(&mut ctx);
        scheduler::sync_all(&mut ctx);
        kubelet::sync_all(&mut ctx);
        endpoints::sync_all(&mut ctx);
        hpa::sync_all(&mut ctx);
        gc::collect(&mut ctx);
        ctx.writes
    }

    /// Runs passes until nothing changes (at most `max` passes); returns the writes made.
    pub fn settle(&self, max: usize) -> usize {
        let mut total = 0;
        for _ in 0..max {
            let w = self.pass();
            total += w;
            if w == 0 {
                break;
            }
        }
        total
    }

    /// Runs in the background until the task is aborted.
    pub async fn run(self: Arc<Self>) {
        loop {
            self.settle(50);
            tokio::select! {
                () = self.store.changed() => {}
                () = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
        }
    }
}

//! `sim`: a simulated Kubernetes API server that runs inside the process.
//!
//! [`SimCluster::start`] serves the Kubernetes API on `127.0.0.1:<random port>` over plain
//! HTTP and hands back its [`url`](SimCluster::url), a [`kube::Client`]
//! ([`client`](SimCluster::client)) and a kubeconfig file real `kubectl` can use
//! ([`kubeconfig_path`](SimCluster::kubeconfig_path)). Objects live in an in-memory store with
//! uids, a global resourceVersion, generations and optimistic concurrency; controllers
//! (deployment, replicaset, statefulset, job, scheduler + kubelet, HPA, garbage collector)
//! run in the background, or only on [`step`](SimCluster::step) with
//! [`Scenario::manual_controllers`].
//!
//! Layout: [`store`] (objects, watch log), [`http`] (routing, discovery, table, watch, logs,
//! metrics), [`patch`] (one module per patch type), `controllers` (one module per controller),
//! [`scenario`] (built-in scenarios and the builder), [`faults`] (fault injection).
//!
//! Not simulated: RBAC (a bearer token is all-or-nothing), admission, `exec`/`attach`/
//! `port-forward`, OpenAPI documents (`/openapi/*` answers 404, so `kubectl apply` needs
//! `--validate=false`), protobuf bodies of kinds it does not serve (those it serves are decoded
//! by [`http::protobuf`], as kubectl 1.32+ sends them), protobuf responses (answers are JSON).

mod admission;
mod clock;
pub mod controllers;
mod defaults;
pub mod error;
pub mod faults;
pub mod http;
pub mod json;
mod kubeconfig;
mod names;
pub mod patch;
pub mod quantity;
pub mod resources;
pub mod scenario;
pub mod selectors;
pub mod status;
pub mod store;
pub mod validation;

pub use controllers::ImageFailure;
pub use error::SimError;
pub use faults::FaultRule;
pub use scenario::Scenario;

use controllers::Controllers;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use store::{Store, Target};

/// A running simulated cluster. Dropping it stops the server and the controllers.
#[derive(Debug)]
pub struct SimCluster {
    url: String,
    token: Option<String>,
    store: Arc<Store>,
    controllers: Arc<Controllers>,
    faults: Arc<faults::Faults>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    closing: tokio::sync::watch::Sender<bool>,
    kubeconfig: tempfile::NamedTempFile,
}

fn apply_step(
    store: &Store,
    controllers: &Controllers,
    step: scenario::Step,
) -> Result<(), SimError> {
    match step {
        scenario::Step::Create(obj) => {
            let api_version = json::str_at(&obj, &["apiVersion"]).to_string();
            let kind = json::str_at(&obj, &["kind"]).to_string();
            let rt = resources::by_kind(&api_version, &kind)
                .ok_or(SimError::UnknownKind { api_version, kind })?;
            store.create(rt, obj, false)?;
        }
        scenario::Step::SetImage {
            namespace,
            deployment,
            container,
            image,
            cause,
        } => {
            controllers.settle(100);
            let rt = resources::get("apps", "deployments");
            let mut d = store
                .get(rt, &namespace, &deployment)
                .ok_or_else(|| status::ApiError::not_found(rt, &deployment))?;
            if let Some(cs) = d
                .pointer_mut("/spec/template/spec/containers")
                .and_then(Value::as_array_mut)
            {
                for c in cs
                    .iter_mut()
                    .filter(|c| json::str_at(c, &["name"]) == container)
                {
                    c["image"] = Value::String(image.clone());
                }
            }
            json::set(
                &mut d,
                &["metadata", "annotations", "kubernetes.io/change-cause"],
                Value::String(cause),
            );
            store.update(rt, d, Target::Main, false)?;
        }
    }
    Ok(())
}

impl SimCluster {
    /// Builds the scenario's objects, settles the controllers and starts serving.
    /// Must be called inside a tokio runtime.
    ///
    /// ```
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use mcp_ops_core::Deployer;
    /// use mcp_ops_k8s::KubeConfig;
    /// use mcp_ops_k8s::sim::{Scenario, SimCluster};
    ///
    /// let sim = SimCluster::start(Scenario::mcp_production()).await?;
    /// // Through the same kubeconfig path as a real cluster (kube's retry layer off).
    /// let cluster = KubeConfig::new().with_kubeconfig_path(sim.kubeconfig_path()).build().await?;
    /// let deployments = cluster.deployments(&"mcp-production".parse()?).await?;
    /// assert!(deployments.iter().any(|d| d.deployment.name.as_str() == "mcp-typescript-api"));
    /// # Ok(()) }
    /// ```
    pub async fn start(scenario: Scenario) -> Result<Self, SimError> {
        let clock = Arc::new(clock::Clock::default());
        let store = Arc::new(Store::with_watch_cache(clock, scenario.watch_cache));
        let controllers = Arc::new(Controllers::new(
            store.clone(),
            scenario.controllers.clone(),
        ));
        // The scenario's history happens in the past: objects start 3 days old and each
        // rollout of the history is 8 hours after the previous one.
        store.clock().set_offset(-3 * 86_400);
        for step in scenario.steps.clone() {
            if matches!(step, scenario::Step::SetImage { .. }) {
                controllers.settle(100);
                store.clock().advance(Duration::from_secs(8 * 3600));
            }
            apply_step(&store, &controllers, step)?;
        }
        controllers.settle(200);
        store.clock().set_offset(0);
        controllers.settle(200);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", scenario.port))
            .await
            .map_err(|source| SimError::Io {
                context: "binding the listening port on 127.0.0.1",
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SimError::Io {
            context: "reading the bound address",
            source,
        })?;
        let url = format!("http://{addr}");
        let faults = Arc::new(faults::Faults::default());
        let (closing, closing_rx) = tokio::sync::watch::channel(false);
        let app = Arc::new(http::App {
            store: store.clone(),
            version: scenario.version,
            token: scenario.token.clone(),
            faults: faults.clone(),
            bookmark_interval: scenario.bookmark_interval,
            load_factor: scenario.controllers.load_factor,
            closing: closing_rx,
            json_cache: http::JsonCache::default(),
        });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let router = http::router(app);
        let mut tasks = vec![tokio::spawn(async move {
            let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                tracing::warn!(error = %e, "simulated API server stopped with an error");
            }
        })];
        if scenario.background {
            tasks.push(tokio::spawn(controllers.clone().run()));
        }
        let kubeconfig = kubeconfig::write(&url, scenario.token.as_deref())?;
        Ok(Self {
            url,
            token: scenario.token,
            store,
            controllers,
            faults,
            tasks,
            shutdown: Some(tx),
            closing,
            kubeconfig,
        })
    }

    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Path of a kubeconfig file (context `sim`, namespace `default`) for kubectl.
    pub fn kubeconfig_path(&self) -> &Path {
        self.kubeconfig.path()
    }

    /// A `kube::Client` for the cluster (default namespace `default`). It keeps kube's own
    /// retry layer: for a [`KubeCluster`](crate::KubeCluster) build through
    /// [`kubeconfig_path`](Self::kubeconfig_path) and [`KubeConfig`](crate::KubeConfig)
    /// instead, so the SDK's retry policy is the only one.
    pub fn client(&self) -> Result<kube::Client, SimError> {
        // kube's rustls needs a process-level provider when several are compiled in.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let uri: axum::http::Uri = self
            .url
            .parse()
            .map_err(|e| SimError::Client(format!("{e}")))?;
        let mut config = kube::Config::new(uri);
        config.default_namespace = "default".into();
        if let Some(t) = &self.token {
            config.auth_info = serde_json::from_value(serde_json::json!({ "token": t }))
                .map_err(|e| SimError::Client(format!("token: {e}")))?;
        }
        kube::Client::try_from(config).map_err(|e| SimError::Client(e.to_string()))
    }

    /// Runs the controllers until nothing changes; returns the number of writes they made.
    pub fn step(&self) -> usize {
        self.controllers.settle(200)
    }

    /// Moves the simulated clock forward (ages, progress deadlines, start-up delays).
    pub fn advance_clock(&self, by: Duration) {
        self.store.clock().advance(by);
    }

    /// Makes containers whose image contains `image` fail from now on.
    pub fn fail_image(&self, image: &str, failure: ImageFailure) {
        self.controllers.configure(|c| {
            c.image_rules.push(controllers::ImageRule {
                image: image.to_string(),
                failure,
            })
        });
    }

    /// Fault injection and request counters.
    pub fn faults(&self) -> &faults::Faults {
        &self.faults
    }

    /// One object as JSON, by `apiVersion`, `kind`, namespace ("" for cluster-scoped) and name.
    pub fn get(&self, api_version: &str, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        let rt = resources::by_kind(api_version, kind)?;
        self.store.get(rt, namespace, name)
    }

    /// Objects of a kind in a namespace (`None`: all namespaces), sorted by namespace and name.
    pub fn list(&self, api_version: &str, kind: &str, namespace: Option<&str>) -> Vec<Value> {
        resources::by_kind(api_version, kind).map_or_else(Vec::new, |rt| {
            self.store
                .list(rt, namespace)
                .0
                .into_iter()
                .map(|v| (*v).clone())
                .collect()
        })
    }

    /// Creates an object (any served kind; `apiVersion`/`kind` pick the resource) as a client
    /// would, and returns it as stored.
    pub fn create_object(&self, obj: Value) -> Result<Value, SimError> {
        let api_version = json::str_at(&obj, &["apiVersion"]).to_string();
        let kind = json::str_at(&obj, &["kind"]).to_string();
        let rt = resources::by_kind(&api_version, &kind)
            .ok_or(SimError::UnknownKind { api_version, kind })?;
        Ok(self.store.create(rt, obj, false)?)
    }

    /// Creates every object of multi-document YAML manifests; returns how many were created.
    pub fn apply_manifests(&self, yaml: &str) -> Result<usize, SimError> {
        let objs = scenario::parse_manifests(yaml)?;
        let n = objs.len();
        for mut obj in objs {
            if json::namespace(&obj).is_empty() && json::str_at(&obj, &["kind"]) != "Namespace" {
                json::set(&mut obj, &["metadata", "namespace"], Value::from("default"));
            }
            self.create_object(obj)?;
        }
        Ok(n)
    }

    /// The object store (for direct manipulation in tests).
    pub fn store(&self) -> &Store {
        &self.store
    }
}

impl Drop for SimCluster {
    fn drop(&mut self) {
        let _ = self.closing.send(true);
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        for t in &self.tasks {
            t.abort();
        }
    }
}

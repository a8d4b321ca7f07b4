//! [`KubeCluster`]: the handle every backend trait is implemented on, and the one place
//! API calls get their timeout, retries and error mapping.

mod rmw;

use std::future::Future;

use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use mcp_ops_core::Result;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Failure;
use crate::retry::{OnConflict, RetryPolicy};
pub(crate) use rmw::{Change, Decision};

/// A Kubernetes cluster reached through a `kube::Client`. It implements
/// [`HealthCheck`](mcp_ops_core::HealthCheck), [`Deployer`](mcp_ops_core::Deployer),
/// [`Scaler`](mcp_ops_core::Scaler) and [`SecretRotator`](mcp_ops_core::SecretRotator).
/// Cloning is cheap (the client is shared).
#[derive(Clone)]
pub struct KubeCluster {
    client: kube::Client,
    retry: RetryPolicy,
    field_manager: String,
    /// Pod lists in flight, shared by the checks that run together (`health::pods`).
    pods: std::sync::Arc<crate::health::pods::PodShare>,
}

impl std::fmt::Debug for KubeCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeCluster")
            .field("retry", &self.retry)
            .field("field_manager", &self.field_manager)
            .finish_non_exhaustive()
    }
}

impl KubeCluster {
    /// Wraps a client (a mock transport, a SimCluster's, or one you configured yourself).
    ///
    /// A client made by `kube::Client::try_default()` or `kube::Client::try_from(config)`
    /// carries kube's own retry layer (up to 15 retries of 429/503/504 with delays up to
    /// 1000 s) under the SDK's bounded [`RetryPolicy`]: retries of retries. Prefer
    /// [`KubeCluster::try_default`] (kubeconfig or in-cluster),
    /// [`KubeCluster::from_config`] or [`KubeConfig`](crate::KubeConfig), which turn kube's
    /// layer off; when you build the client yourself, set `config.default_retry = false`:
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use mcp_ops_k8s::KubeCluster;
    ///
    /// mcp_ops_k8s::install_crypto_provider(); // one rustls provider for kube's client
    /// let mut config = kube::Config::new("http://127.0.0.1:6443".parse()?);
    /// config.default_retry = false; // the SDK's RetryPolicy is the one retry loop
    /// let cluster = KubeCluster::new(kube::Client::try_from(config)?);
    /// assert_eq!(cluster.retry_policy().max_attempts, 5);
    /// # Ok(()) }
    /// ```
    pub fn new(client: kube::Client) -> Self {
        Self {
            client,
            retry: RetryPolicy::default(),
            field_manager: "mcp-ops".into(),
            pods: std::sync::Arc::default(),
        }
    }

    /// The pod lists in flight of this cluster and its clones.
    pub(crate) fn pod_share(&self) -> &crate::health::pods::PodShare {
        &self.pods
    }

    /// Replaces the timeout and retry policy.
    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The `fieldManager` written with every change.
    #[must_use]
    pub fn with_field_manager(mut self, manager: impl Into<String>) -> Self {
        self.field_manager = manager.into();
        self
    }

    /// The underlying client.
    pub fn client(&self) -> &kube::Client {
        &self.client
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    pub(crate) fn namespaced<K>(&self, ns: &str) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        <K as kube::Resource>::DynamicType: Default,
    {
        Api::namespaced(self.client.clone(), ns)
    }

    pub(crate) fn all<K>(&self) -> Api<K>
    where
        K: kube::Resource,
        <K as kube::Resource>::DynamicType: Default,
    {
        Api::all(self.client.clone())
    }

    pub(crate) fn patch_params(&self, dry_run: bool) -> PatchParams {
        PatchParams {
            field_manager: Some(self.field_manager.clone()),
            dry_run,
            ..PatchParams::default()
        }
    }

    pub(crate) fn post_params(&self, dry_run: bool) -> PostParams {
        PostParams {
            dry_run,
            field_manager: Some(self.field_manager.clone()),
        }
    }

    /// Runs one API call with the retry policy, keeping the failure for the caller to map.
    async fn attempt<T, F, Fut>(
        &self,
        name: &str,
        on_conflict: OnConflict,
        mut op: F,
    ) -> Result<T, Failure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, kube::Error>>,
    {
        self.retry
            .run(name, on_conflict, || {
                let f = op();
                async move { f.await.map_err(Failure::from) }
            })
            .await
    }

    /// Runs one API call with the retry policy; errors get meaning from `kind`/`name`.
    pub(crate) async fn call<T, F, Fut>(
        &self,
        kind: &'static str,
        name: &str,
        on_conflict: OnConflict,
        op: F,
    ) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, kube::Error>>,
    {
        self.attempt(name, on_conflict, op)
            .await
            .map_err(|f| f.into_core(kind, name))
    }

    /// Like [`call`](Self::call) but a 404 is `Ok(None)`.
    pub(crate) async fn call_opt<T, F, Fut>(
        &self,
        kind: &'static str,
        name: &str,
        op: F,
    ) -> Result<Option<T>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, kube::Error>>,
    {
        match self.attempt(name, OnConflict::Fail, op).await {
            Ok(v) => Ok(Some(v)),
            Err(f) if f.is_not_found() => Ok(None),
            Err(f) => Err(f.into_core(kind, name)),
        }
    }

    /// GET one namespaced object.
    pub(crate) async fn get<K>(&self, kind: &'static str, ns: &str, name: &str) -> Result<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug,
        <K as kube::Resource>::DynamicType: Default,
    {
        let api: Api<K> = self.namespaced(ns);
        let label = format!("{ns}/{name}");
        self.call(kind, &label, OnConflict::Fail, || api.get(name))
            .await
    }

    /// GET one namespaced object; `None` when it does not exist.
    pub(crate) async fn get_opt<K>(
        &self,
        kind: &'static str,
        ns: &str,
        name: &str,
    ) -> Result<Option<K>>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug,
        <K as kube::Resource>::DynamicType: Default,
    {
        let api: Api<K> = self.namespaced(ns);
        let label = format!("{ns}/{name}");
        self.call_opt(kind, &label, || api.get(name)).await
    }

    /// LIST objects of a namespace (`None`: all namespaces) with a label selector.
    pub(crate) async fn list<K>(
        &self,
        kind: &'static str,
        ns: Option<&str>,
        labels: Option<&str>,
    ) -> Result<Vec<K>>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug,
        <K as kube::Resource>::DynamicType: Default,
    {
        self.list_with(kind, ns, labels, None).await
    }

    /// LIST with a label and a field selector.
    pub(crate) async fn list_with<K>(
        &self,
        kind: &'static str,
        ns: Option<&str>,
        labels: Option<&str>,
        fields: Option<&str>,
    ) -> Result<Vec<K>>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug,
        <K as kube::Resource>::DynamicType: Default,
    {
        let api: Api<K> = match ns {
            Some(ns) => self.namespaced(ns),
            None => self.all(),
        };
        let mut lp = ListParams::default();
        if let Some(l) = labels {
            lp = lp.labels(l);
        }
        if let Some(f) = fields {
            lp = lp.fields(f);
        }
        let label = ns.unwrap_or("all namespaces").to_owned();
        let list = self
            .call(kind, &label, OnConflict::Fail, || api.list(&lp))
            .await?;
        Ok(list.items)
    }

    /// PATCH one namespaced object (dry run with `dryRun=All`).
    pub(crate) async fn patch<K, P>(
        &self,
        kind: &'static str,
        ns: &str,
        name: &str,
        patch: &Patch<P>,
        dry_run: bool,
    ) -> Result<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug,
        <K as kube::Resource>::DynamicType: Default,
        P: Serialize + std::fmt::Debug,
    {
        let api: Api<K> = self.namespaced(ns);
        let pp = self.patch_params(dry_run);
        let label = format!("{ns}/{name}");
        self.call(kind, &label, OnConflict::Reread, || {
            api.patch(name, &pp, patch)
        })
        .await
    }
}

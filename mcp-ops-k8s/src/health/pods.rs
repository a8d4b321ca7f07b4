//! One pod list shared by the checks that run together.
//!
//! Triage asks for pods four times at once (the pods check, the services check, pod usage and
//! node capacity). Each pod is projected into [`PodFacts`] as soon as its page arrives (the raw
//! object is dropped), pods are listed in pages of [`PAGE`] (`limit`/`continue`), and callers
//! that ask while a list is in flight join it instead of starting another one:
//!
//! - a list of all namespaces in flight serves every namespace (a namespaced caller waits a few
//!   scheduler turns before deciding, so that an all-namespaces caller started in the same
//!   `join!` is found);
//! - a namespaced caller whose shared all-namespaces list is forbidden (a namespace-only
//!   identity may not list cluster-wide) lists its namespace itself.
//!
//! Nothing is cached: once every caller has its answer the list is gone, and the next caller
//! lists afresh. A list whose `continue` token expires (HTTP 410, minutes on a real API
//! server) fails like any other list.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures::FutureExt as _;
use futures::future::{BoxFuture, Shared, WeakShared};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use mcp_ops_core::types::ResourceList;
use mcp_ops_core::{Error, Result};

use crate::cluster::KubeCluster;
use crate::deploy::pod_ready;
use crate::retry::OnConflict;
use crate::scale::pod_requests_and_limits;

use super::findings::BAD_REASONS;

/// Pods per LIST page.
pub(crate) const PAGE: u32 = 500;

/// Scheduler turns a namespaced caller gives an all-namespaces caller of the same `join!` to
/// start its list first (a few turns: the callers may pass a few ready awaits, journal
/// entries for example, before they ask).
const YIELDS: usize = 4;

/// What health, usage and capacity need of one pod.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PodFacts {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// The node it is bound to.
    pub node: Option<String>,
    /// `status.phase` ("" when unset).
    pub phase: String,
    /// The Ready condition.
    pub ready: bool,
    /// Restarts over its containers.
    pub restarts: u64,
    /// The first bad waiting/terminated reason of a container ([`BAD_REASONS`]).
    pub bad_reason: Option<String>,
    /// Labels (for service selectors).
    pub labels: BTreeMap<String, String>,
    /// Requests as kubectl sums them.
    pub requests: ResourceList,
    /// Limits as kubectl sums them.
    pub limits: ResourceList,
}

impl PodFacts {
    /// Projects a pod.
    pub fn of(p: &Pod) -> Self {
        let status = p.status.as_ref();
        let cs = status
            .and_then(|s| s.container_statuses.as_deref())
            .unwrap_or_default();
        let restarts = cs
            .iter()
            .map(|c| u64::try_from(c.restart_count).unwrap_or(0))
            .sum();
        let bad_reason = cs.iter().find_map(|c| {
            let st = c.state.as_ref();
            let waiting = st
                .and_then(|s| s.waiting.as_ref())
                .and_then(|w| w.reason.as_ref());
            let term = st
                .and_then(|s| s.terminated.as_ref())
                .and_then(|t| t.reason.as_ref());
            let last_term = c
                .last_state
                .as_ref()
                .and_then(|s| s.terminated.as_ref())
                .and_then(|t| t.reason.as_ref());
            [waiting, term, last_term]
                .into_iter()
                .flatten()
                .find(|r| BAD_REASONS.contains(&r.as_str()))
                .cloned()
        });
        let (requests, limits) = pod_requests_and_limits(p);
        Self {
            namespace: p.metadata.namespace.clone().unwrap_or_default(),
            name: p.metadata.name.clone().unwrap_or_default(),
            node: p.spec.as_ref().and_then(|s| s.node_name.clone()),
            phase: status.and_then(|s| s.phase.clone()).unwrap_or_default(),
            ready: pod_ready(p),
            restarts,
            bad_reason,
            labels: p.metadata.labels.clone().unwrap_or_default(),
            requests,
            limits,
        }
    }

    /// Succeeded or Failed.
    pub fn terminated(&self) -> bool {
        matches!(self.phase.as_str(), "Succeeded" | "Failed")
    }
}

/// Pods of one namespace (or all) out of a possibly wider shared list.
#[derive(Debug, Clone)]
pub(crate) struct Pods {
    all: Arc<Vec<PodFacts>>,
    namespace: Option<String>,
}

impl Pods {
    /// The pods asked for.
    pub fn iter(&self) -> impl Iterator<Item = &PodFacts> {
        let ns = self.namespace.as_deref();
        self.all
            .iter()
            .filter(move |p| ns.is_none_or(|ns| p.namespace == ns))
    }

    /// The pods asked for, as references.
    pub fn refs(&self) -> Vec<&PodFacts> {
        self.iter().collect()
    }
}

type Listed = std::result::Result<Arc<Vec<PodFacts>>, Arc<Error>>;
type Listing = Shared<BoxFuture<'static, Listed>>;

/// The lists in flight, by namespace (`None`: all namespaces). Weak: a list nobody waits
/// for any more is gone.
#[derive(Default)]
pub(crate) struct PodShare {
    in_flight: Mutex<BTreeMap<Option<String>, WeakShared<BoxFuture<'static, Listed>>>>,
}

impl std::fmt::Debug for PodShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PodShare").finish_non_exhaustive()
    }
}

impl KubeCluster {
    /// The pods of `ns` (`None`: all namespaces), from a list in flight when there is one.
    pub(crate) async fn pod_facts(&self, ns: Option<&str>) -> Result<Pods> {
        if ns.is_some() {
            for _ in 0..YIELDS {
                tokio::task::yield_now().await;
            }
        }
        let (listing, shared_wider) = self.join_or_start(ns);
        let namespace = ns.map(str::to_owned);
        match listing.await {
            Ok(all) => Ok(Pods { all, namespace }),
            // Cluster-wide listing is forbidden to a namespace-only identity: list the
            // namespace. Other failures (API server down) would only repeat.
            Err(e) if shared_wider && matches!(*e, Error::Forbidden { .. }) => {
                let (own, _) = self.join_or_start_exact(ns);
                own.await
                    .map(|all| Pods { all, namespace })
                    .map_err(|e| e.duplicate())
            }
            Err(e) => Err(e.duplicate()),
        }
    }

    /// The all-namespaces list in flight (`true`: wider than asked), else the list of `ns`.
    fn join_or_start(&self, ns: Option<&str>) -> (Listing, bool) {
        if ns.is_some() {
            let map = self.pod_share().in_flight.lock();
            let map = map.unwrap_or_else(PoisonError::into_inner);
            if let Some(all) = map.get(&None).and_then(WeakShared::upgrade) {
                return (all, true);
            }
        }
        self.join_or_start_exact(ns)
    }

    fn join_or_start_exact(&self, ns: Option<&str>) -> (Listing, bool) {
        let key = ns.map(str::to_owned);
        let map = self.pod_share().in_flight.lock();
        let mut map = map.unwrap_or_else(PoisonError::into_inner);
        if let Some(l) = map.get(&key).and_then(WeakShared::upgrade) {
            return (l, false);
        }
        let k = self.clone();
        let listing: Listing = async move {
            k.list_pod_facts(key.as_deref())
                .await
                .map(Arc::new)
                .map_err(Arc::new)
        }
        .boxed()
        .shared();
        map.retain(|_, w| w.upgrade().is_some());
        if let Some(weak) = listing.downgrade() {
            map.insert(ns.map(str::to_owned), weak);
        }
        (listing, false)
    }

    /// Lists pods page by page, keeping only their facts.
    async fn list_pod_facts(&self, ns: Option<&str>) -> Result<Vec<PodFacts>> {
        let api: Api<Pod> = match ns {
            Some(ns) => self.namespaced(ns),
            None => self.all(),
        };
        let label = ns.unwrap_or("all namespaces");
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut lp = ListParams::default().limit(PAGE);
            if let Some(t) = &token {
                lp = lp.continue_token(t);
            }
            let page = self
                .call("pod", label, OnConflict::Fail, || api.list(&lp))
                .await?;
            out.extend(page.items.iter().map(PodFacts::of));
            token = page.metadata.continue_.filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(out);
            }
        }
    }
}

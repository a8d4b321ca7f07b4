//! [`HealthCheck`] on [`KubeCluster`] for [`HealthTarget::Cluster`]: nodes (Ready, pressure,
//! unschedulable), pods (phase, readiness, restarts, CrashLoopBackOff / ImagePullBackOff /
//! OOMKilled), deployments (available vs desired), services (ready endpoints), ingresses
//! (rules, load balancer), Warning events by lastTimestamp, and whether metrics.k8s.io is
//! served (absent metrics are an observation, never an error).

mod config_refs;
mod findings;
pub(crate) mod pods;

use std::future::Future;
use std::time::Instant;

use async_trait::async_trait;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Endpoints, Event, Node, Service};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Api, DynamicObject, ListParams};
use mcp_ops_core::health::{
    ClusterResource, ClusterScope, HealthCheck, HealthDetail, HealthReport, HealthStatus,
    HealthTarget, ObservedValue, TargetKind,
};
use mcp_ops_core::{Error, Result};

use crate::cluster::KubeCluster;
use crate::error::BACKEND;
use crate::retry::OnConflict;
use findings::Findings;

impl KubeCluster {
    async fn metrics_served(&self) -> Result<bool> {
        let ar = kube::api::ApiResource {
            group: "metrics.k8s.io".into(),
            version: "v1beta1".into(),
            api_version: "metrics.k8s.io/v1beta1".into(),
            kind: "NodeMetrics".into(),
            plural: "nodes".into(),
        };
        let api: Api<DynamicObject> = Api::all_with(self.client().clone(), &ar);
        let lp = ListParams::default().limit(1);
        Ok(self
            .call_opt("nodemetrics", "all nodes", || api.list(&lp))
            .await?
            .is_some())
    }

    async fn nodes(&self) -> Result<Vec<Node>> {
        let api: Api<Node> = self.all();
        let lp = ListParams::default();
        Ok(self
            .call("node", "all nodes", OnConflict::Fail, || api.list(&lp))
            .await?
            .items)
    }

    async fn endpoints(&self, ns: &str) -> Result<Option<Vec<Endpoints>>> {
        let api: Api<Endpoints> = self.namespaced(ns);
        let lp = ListParams::default();
        Ok(self
            .call_opt("endpoints", ns, || api.list(&lp))
            .await?
            .map(|l| l.items))
    }

    /// Lists what the scope needs, concurrently, and turns it into findings.
    async fn check_cluster(&self, scope: &ClusterScope) -> Result<Findings> {
        let ns = scope.namespace.as_str();
        let want = |r| scope.includes(r);
        let need_pods = want(ClusterResource::Pods) || want(ClusterResource::Services);
        let (nodes, pods, deps, svcs, eps, ings, events, metrics) = tokio::try_join!(
            when(want(ClusterResource::Nodes), self.nodes()),
            when(need_pods, self.pod_facts(Some(ns))),
            when(
                want(ClusterResource::Deployments),
                self.list::<Deployment>("deployment", Some(ns), None)
            ),
            when(
                want(ClusterResource::Services),
                self.list::<Service>("service", Some(ns), None)
            ),
            when(want(ClusterResource::Services), self.endpoints(ns)),
            when(
                want(ClusterResource::Ingresses),
                self.list::<Ingress>("ingress", Some(ns), None)
            ),
            when(
                want(ClusterResource::Events),
                self.list_with::<Event>("event", Some(ns), None, Some("type=Warning"))
            ),
            self.metrics_served(),
        )?;
        let mut f = Findings::default();
        if let Some(nodes) = nodes {
            f.nodes(&nodes);
        }
        let pods = pods.as_ref().map(pods::Pods::refs).unwrap_or_default();
        if want(ClusterResource::Pods) {
            f.pods(&pods);
        }
        if let Some(deps) = deps {
            f.deployments(&deps);
        }
        if let Some(svcs) = svcs {
            f.services(&svcs, eps.flatten().as_deref(), &pods);
        }
        if let Some(ings) = ings {
            f.ingresses(&ings);
        }
        if let Some(events) = events {
            f.events(&events);
        }
        f.observe("metrics_served", ObservedValue::Flag(metrics));
        Ok(f)
    }
}

/// Runs `fut` only when `cond` holds.
async fn when<T>(cond: bool, fut: impl Future<Output = Result<T>>) -> Result<Option<T>> {
    if cond { fut.await.map(Some) } else { Ok(None) }
}

#[async_trait]
impl HealthCheck for KubeCluster {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn supports(&self, kind: TargetKind) -> bool {
        kind == TargetKind::Cluster
    }

    async fn check(&self, target: &HealthTarget) -> Result<HealthReport> {
        let HealthTarget::Cluster(scope) = target else {
            return Err(Error::Unsupported {
                operation: "health check of a non-cluster target",
                backend: BACKEND,
            });
        };
        let started = Instant::now();
        let f = self.check_cluster(scope).await?;
        let (status, message, observed, details) = f.finish(scope);
        let mut report = HealthReport::new(target.clone(), status, message, jiff::Timestamp::now());
        report.observed = observed;
        report.details = details;
        report.latency = started.elapsed();
        Ok(report)
    }
}

/// The worst status of some details (Healthy when there are none).
pub fn worst(details: &[HealthDetail]) -> HealthStatus {
    details
        .iter()
        .map(|d| d.status)
        .max()
        .unwrap_or(HealthStatus::Healthy)
}

//! The bundle's defaults answer, never pretend: checks are `Unknown` with the setting's hint,
//! every other call is `InvalidInput` naming the setting; the router sends each kind of
//! target to its backend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use super::{Backends, HealthRouter, NotConfigured};
use crate::error::Error;
use crate::health::{HealthCheck, HealthStatus, HealthTarget, HttpProbe, TargetKind};
use crate::types::{DeploymentRef, Namespace};

fn field(e: Error) -> &'static str {
    match e {
        Error::InvalidInput { field, .. } => field,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[tokio::test]
async fn every_default_capability_names_the_setting_that_configures_it() {
    let b = Backends::new();
    let api: DeploymentRef = "mcp-production/mcp-typescript-api".parse().unwrap();
    let ns: Namespace = "mcp-production".parse().unwrap();
    assert_eq!(
        field(b.deployer.rollout_status(&api).await.unwrap_err()),
        "--kubeconfig"
    );
    assert_eq!(
        field(b.scaler.pod_usage(&ns).await.unwrap_err()),
        "--kubeconfig"
    );
    assert_eq!(field(b.backups.list().await.unwrap_err()), "--database-url");
    assert_eq!(
        field(b.maintenance.connections().await.unwrap_err()),
        "--database-url"
    );
    assert_eq!(
        field(b.escalator.silences().await.unwrap_err()),
        "--alertmanager-url"
    );
    assert!(b.node_groups.is_none());
    assert!(b.notifiers.is_empty());

    let cache = b
        .health
        .check(&HealthTarget::Cache {
            name: "redis".into(),
        })
        .await
        .unwrap();
    assert_eq!(cache.status, HealthStatus::Unknown);
    assert_eq!(
        cache.message,
        "not configured: pass --redis-url or set REDIS_URL"
    );
}

#[tokio::test]
async fn the_router_sends_each_kind_to_its_backend() {
    let router = HealthRouter::new()
        .with_http(Arc::new(NotConfigured::setting("http")))
        .with_metrics(Arc::new(NotConfigured::setting("metrics")));
    let http = router
        .check(&HealthTarget::Http(HttpProbe::new(
            "api",
            "https://example.com/health",
        )))
        .await
        .unwrap();
    assert_eq!(http.message, "not configured: set http");
    assert_eq!(router.route(TargetKind::Metric).backend(), "unconfigured");
    let db = router
        .check(&HealthTarget::Database {
            name: "mcp_db".into(),
        })
        .await
        .unwrap();
    assert_eq!(db.message, NotConfigured::DATABASE.hint());
}

/// A backend that checks nothing: the router refuses instead of asking it.
struct NoKinds;

#[async_trait::async_trait]
impl HealthCheck for NoKinds {
    fn backend(&self) -> &'static str {
        "no-kinds"
    }
    fn supports(&self, _kind: TargetKind) -> bool {
        false
    }
    async fn check(&self, _target: &HealthTarget) -> crate::Result<crate::HealthReport> {
        panic!("never asked")
    }
}

#[tokio::test]
async fn a_backend_that_does_not_support_the_kind_is_not_asked() {
    let router = HealthRouter::new().with_cache(Arc::new(NoKinds));
    let err = router
        .check(&HealthTarget::Cache {
            name: "redis".into(),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unsupported {
                backend: "no-kinds",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!router.supports(TargetKind::Cache));
}

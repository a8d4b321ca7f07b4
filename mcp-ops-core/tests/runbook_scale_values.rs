//! `scale_out` refuses values no container or autoscaler can run with — CPU or memory of
//! zero, memory below one byte, CPU below one millicore, an autoscaler floor of zero — with a
//! typed error before anything is read or written; the mock cluster refuses an autoscaler
//! minimum of zero as the Kubernetes backend does.
#![cfg(all(feature = "mock", feature = "testing"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use mcp_ops_core::mock::MockCluster;
use mcp_ops_core::runbook::Context;
use mcp_ops_core::runbook::scale_out::{
    HorizontalTarget, ScaleOutBackends, ScaleOutInput, VerticalTarget, scale_out,
};
use mcp_ops_core::scale::{AutoscalerBounds, Scaler};
use mcp_ops_core::types::{
    ContainerName, DeploymentRef, Quantity, Replicas, ResourceList, ResourceRequirements,
};
use mcp_ops_core::{Error, Intent, TokioClock};

fn ctx() -> Context {
    let clock = Arc::new(TokioClock::starting_at(
        "2025-01-08T14:30:00Z".parse().unwrap(),
    ));
    Context::new("scale_out", Intent::new("scale", "ops-bot").unwrap(), clock)
}

fn d(name: &str) -> DeploymentRef {
    DeploymentRef::new("mcp-production", name).unwrap()
}

fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap()
}

#[test]
fn requirements_to_set_refuse_amounts_no_container_runs_with() {
    for (cpu, mem) in [
        ("0", "1Gi"),
        ("1n", "1Gi"),
        ("0.5m", "1Gi"),
        ("1", "0"),
        ("1", "0.5"),
        ("1", "1m"),
    ] {
        let err = ResourceRequirements::for_change(
            ResourceList::new(q(cpu), q(mem)),
            ResourceList::default(),
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidInput {
                    field: "resources",
                    ..
                }
            ),
            "{cpu} {mem}: {err}"
        );
    }
    let ok = ResourceRequirements::for_change(
        ResourceList::new(q("500m"), q("1Gi")),
        ResourceList::new(q("2"), q("4Gi")),
    );
    assert!(ok.is_ok(), "{ok:?}");
    // Reading what a cluster stored stays lenient: a request of 0 exists in the wild.
    assert!(
        ResourceRequirements::new(ResourceList::new(q("0"), q("0")), ResourceList::default())
            .is_ok()
    );
}

#[tokio::test(start_paused = true)]
async fn scale_out_refuses_bad_values_before_anything_changes() {
    let cluster = MockCluster::runbook();
    let backends = ScaleOutBackends {
        scaler: &cluster,
        node_groups: None,
    };
    // Built around the checked constructor, as a library caller could.
    let zero_memory = ResourceRequirements::new(
        ResourceList::new(q("500m"), q("0")),
        ResourceList::default(),
    )
    .unwrap();
    let vertical = ScaleOutInput {
        vertical: vec![VerticalTarget {
            deployment: d("mcp-rust-server"),
            container: ContainerName::new("mcp-rust-server").unwrap(),
            resources: zero_memory,
        }],
        ..ScaleOutInput::default()
    };
    let err = scale_out(&ctx(), backends, &vertical).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
    // The API is autoscaled: a floor of 0 is refused, not written.
    let zero = ScaleOutInput {
        horizontal: vec![HorizontalTarget {
            deployment: d("mcp-typescript-api"),
            replicas: Replicas::new(0).unwrap(),
        }],
        ..ScaleOutInput::default()
    };
    let err = scale_out(&ctx(), backends, &zero).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidInput {
                field: "replicas",
                ..
            }
        ),
        "{err}"
    );
    assert!(cluster.faults().state_changes().is_empty());
    let direct = cluster
        .set_autoscaler_bounds(
            &d("mcp-typescript-api"),
            AutoscalerBounds {
                min: Some(Replicas::new(0).unwrap()),
                max: None,
            },
            &Intent::new("floor", "ops-bot").unwrap(),
        )
        .await
        .unwrap_err();
    assert!(matches!(direct, Error::InvalidInput { .. }), "{direct}");
    let hpa = cluster
        .autoscaler(&d("mcp-typescript-api"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((hpa.min.get(), hpa.max.get()), (3, 10));
}

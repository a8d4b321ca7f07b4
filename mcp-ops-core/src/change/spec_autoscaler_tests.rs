//! [`ChangeSpec::Autoscaler`]: its type, targets, summary, differences, validation and JSON.

#![allow(clippy::unwrap_used)]

use super::{ChangeKind, ChangeSpec};
use crate::types::Replicas;

fn bounds(deployment: &str, min: u32, max: u32) -> ChangeSpec {
    ChangeSpec::Autoscaler {
        deployment: deployment.parse().unwrap(),
        min: Replicas::new(min).unwrap(),
        max: Replicas::new(max).unwrap(),
    }
}

const API: &str = "mcp-production/mcp-typescript-api";

#[test]
fn an_autoscaler_change_names_its_deployment_and_bounds() {
    let spec = bounds(API, 3, 15);
    assert_eq!(spec.kind(), ChangeKind::Autoscaling);
    assert_eq!(spec.kind().to_string(), "Autoscaling");
    assert_eq!(spec.targets(), vec![API.to_owned()]);
    assert_eq!(
        spec.summary(),
        "set the autoscaler of mcp-production/mcp-typescript-api to 3..=15 replicas"
    );
    spec.validate().unwrap();
}

#[test]
fn an_autoscaler_change_differs_by_each_bound_and_by_type() {
    let approved = bounds(API, 3, 15);
    assert!(approved.differences(&bounds(API, 3, 15)).is_empty());
    let d = approved.differences(&bounds(API, 3, 20));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        (d[0].field, d[0].approved.as_str(), d[0].planned.as_str()),
        ("max replicas", "15", "20")
    );
    let d = approved.differences(&bounds(API, 4, 15));
    assert_eq!(d[0].field, "min replicas");
    let d = approved.differences(&bounds("mcp-production/mcp-rust-server", 3, 15));
    assert_eq!(d[0].field, "deployment");
    // A replica count is another kind of change.
    let scale = ChangeSpec::Scale {
        deployment: API.parse().unwrap(),
        replicas: Replicas::new(15).unwrap(),
    };
    assert_eq!(approved.differences(&scale)[0].field, "type");
}

#[test]
fn an_autoscaler_minimum_is_at_least_one_and_at_most_its_maximum() {
    let e = bounds(API, 16, 15).validate().unwrap_err().to_string();
    assert!(
        e.contains("minReplicas 16 must be at most maxReplicas 15"),
        "{e}"
    );
    let e = bounds(API, 0, 15).validate().unwrap_err().to_string();
    assert!(e.contains("0 replicas"), "{e}");
    bounds(API, 15, 15).validate().unwrap();
}

#[test]
fn an_autoscaler_change_is_json_of_type_autoscaler() {
    let json = serde_json::to_value(bounds(API, 3, 15)).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"type": "autoscaler", "deployment": API, "min": 3, "max": 15})
    );
    let back: ChangeSpec = serde_json::from_value(json).unwrap();
    assert_eq!(back, bounds(API, 3, 15));
    let kind = serde_json::to_value(ChangeKind::Autoscaling).unwrap();
    assert_eq!(kind, "autoscaling");
}

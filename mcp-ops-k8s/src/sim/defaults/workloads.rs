//! Defaults of the workload kinds: Deployment, ReplicaSet, StatefulSet, Job, CronJob.

use super::super::json::{self, obj_mut};
use super::default;
use super::pod::pod_template;
use serde_json::{Value, json};

/// A status the controllers have not written yet is `{}`, as Go serialises an empty struct.
fn empty_status(obj: &mut Value) {
    if let Some(m) = obj.as_object_mut() {
        m.entry("status").or_insert_with(|| json!({}));
    }
}

pub(super) fn deployment(obj: &mut Value) {
    let spec = obj_mut(obj, &["spec"]);
    default(spec, "replicas", json!(1));
    default(spec, "revisionHistoryLimit", json!(10));
    default(spec, "progressDeadlineSeconds", json!(600));
    let strategy = spec.entry("strategy").or_insert_with(|| json!({}));
    let s = obj_mut(strategy, &[]);
    default(s, "type", json!("RollingUpdate"));
    if s.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
        let ru = obj_mut(strategy, &["rollingUpdate"]);
        default(ru, "maxSurge", json!("25%"));
        default(ru, "maxUnavailable", json!("25%"));
    }
    pod_template(obj, &["spec", "template"]);
    empty_status(obj);
}

/// A ReplicaSet.
pub(super) fn replicaset(obj: &mut Value) {
    default(obj_mut(obj, &["spec"]), "replicas", json!(1));
    pod_template(obj, &["spec", "template"]);
    empty_status(obj);
}

/// A StatefulSet: ordered pods, rolling updates from the highest ordinal, PVCs retained.
pub(super) fn statefulset(obj: &mut Value) {
    let spec = obj_mut(obj, &["spec"]);
    default(spec, "replicas", json!(1));
    default(spec, "podManagementPolicy", json!("OrderedReady"));
    default(spec, "revisionHistoryLimit", json!(10));
    default(
        spec,
        "persistentVolumeClaimRetentionPolicy",
        json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
    );
    let strategy = spec.entry("updateStrategy").or_insert_with(|| json!({}));
    let s = obj_mut(strategy, &[]);
    default(s, "type", json!("RollingUpdate"));
    if s.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
        default(obj_mut(strategy, &["rollingUpdate"]), "partition", json!(0));
    }
    pod_template(obj, &["spec", "template"]);
    empty_status(obj);
}

/// A CronJob.
pub(super) fn cronjob(obj: &mut Value) {
    let spec = obj_mut(obj, &["spec"]);
    default(spec, "concurrencyPolicy", json!("Allow"));
    default(spec, "suspend", json!(false));
    default(spec, "successfulJobsHistoryLimit", json!(3));
    default(spec, "failedJobsHistoryLimit", json!(1));
    pod_template(obj, &["spec", "jobTemplate", "spec", "template"]);
    empty_status(obj);
}

/// A Job: its selector and pod labels from its uid (unless `manualSelector`).
pub(super) fn job(obj: &mut Value) {
    let uid = json::uid(obj).to_string();
    let name = json::name(obj).to_string();
    let spec = obj_mut(obj, &["spec"]);
    default(spec, "parallelism", json!(1));
    default(spec, "completions", json!(1));
    default(spec, "backoffLimit", json!(6));
    default(spec, "completionMode", json!("NonIndexed"));
    default(spec, "suspend", json!(false));
    let policy = if spec.contains_key("podFailurePolicy") {
        "Failed"
    } else {
        "TerminatingOrFailed"
    };
    default(spec, "podReplacementPolicy", json!(policy));
    let manual = spec.get("manualSelector").and_then(Value::as_bool) == Some(true);
    if !manual && !spec.contains_key("selector") && !uid.is_empty() {
        spec.insert("manualSelector".into(), json!(false));
        spec.insert(
            "selector".into(),
            json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}),
        );
        let labels = obj_mut(obj, &["spec", "template", "metadata", "labels"]);
        labels.insert("batch.kubernetes.io/controller-uid".into(), json!(uid));
        labels.insert("controller-uid".into(), json!(uid));
        labels.insert("batch.kubernetes.io/job-name".into(), json!(name));
        labels.insert("job-name".into(), json!(name));
    }
    let tspec = obj_mut(obj, &["spec", "template", "spec"]);
    default(tspec, "restartPolicy", json!("Never"));
    pod_template(obj, &["spec", "template"]);
    empty_status(obj);
}

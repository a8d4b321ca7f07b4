//! A Job from a CronJob exactly as `kubectl create job NAME --from=cronjob/CRON` builds it
//! (kubectl `create_job.go`): annotation `cronjob.kubernetes.io/instantiate: manual` plus the
//! job template's annotations, the job template's labels and spec, and a controller
//! ownerReference to the CronJob.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

/// The annotation kubectl puts on a manually instantiated Job.
pub const INSTANTIATE: &str = "cronjob.kubernetes.io/instantiate";

/// The longest Job name: it becomes the `job-name` label value (63 characters at most).
pub const MAX_JOB_NAME: usize = 63;

/// A Job name `<cronjob>-<label>-<unix seconds>`, cut so it fits [`MAX_JOB_NAME`].
pub fn job_name(cronjob: &str, label: Option<&str>, unix: i64) -> String {
    let suffix = format!("-{unix}");
    let mut stem = match label {
        Some(l) if !l.is_empty() => format!("{cronjob}-{l}"),
        _ => format!("{cronjob}-manual"),
    };
    stem = stem
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    stem.truncate(MAX_JOB_NAME - suffix.len());
    let stem = stem.trim_end_matches('-');
    format!("{stem}{suffix}")
}

/// The Job kubectl would create from `cron` under `name`.
pub fn job_from_cronjob(cron: &CronJob, name: &str) -> Job {
    let template = cron
        .spec
        .as_ref()
        .map(|s| s.job_template.clone())
        .unwrap_or_default();
    let template_meta = template.metadata.unwrap_or_default();
    let mut annotations = BTreeMap::from([(INSTANTIATE.to_owned(), "manual".to_owned())]);
    annotations.extend(template_meta.annotations.unwrap_or_default());
    let mut job = Job::default();
    job.metadata.name = Some(name.to_owned());
    job.metadata.namespace = cron.metadata.namespace.clone();
    job.metadata.annotations = Some(annotations);
    job.metadata.labels = template_meta.labels;
    job.metadata.owner_references = Some(vec![OwnerReference {
        api_version: "batch/v1".into(),
        kind: "CronJob".into(),
        name: cron.metadata.name.clone().unwrap_or_default(),
        uid: cron.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: None,
    }]);
    job.spec = template.spec;
    job
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn job_is_kubectls() {
        let cron: CronJob = serde_json::from_value(json!({
            "metadata": {"name": "postgres-backup", "namespace": "ns", "uid": "u-1"},
            "spec": {"schedule": "0 2 * * *", "jobTemplate": {
                "metadata": {"labels": {"app": "pb"}, "annotations": {"team": "db"}},
                "spec": {"backoffLimit": 2, "template": {"spec": {"restartPolicy": "OnFailure",
                    "containers": [{"name": "c", "image": "postgres:15"}]}}}}}
        }))
        .unwrap();
        let job = job_from_cronjob(&cron, "pb-manual-1");
        let v = serde_json::to_value(&job).unwrap();
        assert_eq!(
            v["metadata"],
            json!({"name": "pb-manual-1", "namespace": "ns",
                "annotations": {"cronjob.kubernetes.io/instantiate": "manual", "team": "db"},
                "labels": {"app": "pb"},
                "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "postgres-backup", "uid": "u-1", "controller": true}]})
        );
        assert_eq!(v["spec"]["backoffLimit"], 2);
        assert_eq!(
            v["spec"]["template"]["spec"]["containers"][0]["image"],
            "postgres:15"
        );
    }

    #[test]
    fn names_fit_the_label_limit() {
        assert_eq!(job_name("pb", None, 17), "pb-manual-17");
        assert_eq!(job_name("pb", Some("Pre Maint"), 17), "pb-pre-maint-17");
        let long = job_name(&"x".repeat(80), Some("label"), 1_736_346_600);
        assert!(
            long.len() <= MAX_JOB_NAME && long.ends_with("-1736346600"),
            "{long}"
        );
    }
}

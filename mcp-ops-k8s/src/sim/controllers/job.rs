//! The job controller: one pod at a time until it succeeds, or the backoff limit is reached.

use super::super::json::{self, i64_at, str_at};
use super::super::resources;
use super::Ctx;
use super::replicaset::{owned_pods, pod_from_template};
use serde_json::{Value, json};

fn finished(job: &Value) -> bool {
    json::at(job, &["status", "conditions"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| {
            matches!(str_at(c, &["type"]), "Complete" | "Failed")
                && str_at(c, &["status"]) == "True"
        })
}

/// Syncs every Job.
pub fn sync_all(ctx: &mut Ctx<'_>) {
    let pods = ctx.list("", "pods");
    for job in ctx.list("batch", "jobs") {
        let mut job = (*job).clone();
        if json::deleting(&job) || finished(&job) || json::bool_at(&job, &["spec", "suspend"]) {
            continue;
        }
        let mine = owned_pods(&pods, json::namespace(&job), json::uid(&job));
        let succeeded = i64::try_from(
            mine.iter()
                .filter(|p| str_at(p, &["status", "phase"]) == "Succeeded")
                .count(),
        )
        .unwrap_or(0);
        let failed = i64::try_from(
            mine.iter()
                .filter(|p| str_at(p, &["status", "phase"]) == "Failed")
                .count(),
        )
        .unwrap_or(0);
        let active = i64::try_from(mine.len()).unwrap_or(0) - succeeded - failed;
        let now = ctx.store.clock().stamp();
        let completions = i64_at(&job, &["spec", "completions"], 1);
        let backoff = i64_at(&job, &["spec", "backoffLimit"], 6);
        let mut status = job.get("status").cloned().unwrap_or(json!({}));
        if status.get("startTime").is_none() {
            status["startTime"] = json!(now);
        }
        // Counts are `omitempty` (ready and terminating are pointers, always written).
        for (k, n) in [
            ("active", active),
            ("succeeded", succeeded),
            ("failed", failed),
        ] {
            if n > 0 {
                status[k] = json!(n);
            } else if let Some(m) = status.as_object_mut() {
                m.remove(k);
            }
        }
        status["ready"] = json!(0);
        status["terminating"] = json!(0);
        status["uncountedTerminatedPods"] = json!({});
        if succeeded >= completions {
            status["completionTime"] = json!(now);
            status["conditions"] = json!([
                {"type": "SuccessCriteriaMet", "status": "True", "reason": "CompletionsReached", "message": "Reached expected number of succeeded pods", "lastProbeTime": now, "lastTransitionTime": now},
                {"type": "Complete", "status": "True", "reason": "CompletionsReached", "message": "Reached expected number of succeeded pods", "lastProbeTime": now, "lastTransitionTime": now},
            ]);
            ctx.event(&job, false, "Completed", "Job completed", "job-controller");
        } else if failed > backoff {
            status["conditions"] = json!([
                {"type": "FailureTarget", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit", "lastProbeTime": now, "lastTransitionTime": now},
                {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit", "lastProbeTime": now, "lastTransitionTime": now},
            ]);
            ctx.event(
                &job,
                true,
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                "job-controller",
            );
        } else if active == 0 {
            let template = json::at(&job, &["spec", "template"])
                .cloned()
                .unwrap_or(json!({}));
            if let Some(p) = ctx.create(
                resources::get("", "pods"),
                pod_from_template(&job, &template, None),
            ) {
                ctx.event(
                    &job,
                    false,
                    "SuccessfulCreate",
                    &format!("Created pod: {}", json::name(&p)),
                    "job-controller",
                );
                status["active"] = json!(1);
            }
        }
        if job.get("status") != Some(&status) {
            job["status"] = status;
            ctx.update(resources::get("batch", "jobs"), job);
        }
    }
}

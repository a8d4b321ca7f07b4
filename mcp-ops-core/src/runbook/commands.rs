//! The commands the runbook would have typed for each step, for the journal and for plans.
//!
//! They are text for humans (the "equivalent command" column of a timeline); nothing here is
//! ever executed. Secret values never appear: secret steps name the key only.

use std::time::Duration;

use crate::types::{ContainerName, DeploymentRef, ImageRef, Namespace, Replicas, Revision};

/// `kubectl set image deployment/NAME CONTAINER=IMAGE -n NS`
pub fn set_image(d: &DeploymentRef, c: &ContainerName, image: &ImageRef) -> String {
    format!(
        "kubectl set image deployment/{} {c}={image} -n {}",
        d.name, d.namespace
    )
}

/// `kubectl rollout status deployment/NAME -n NS --timeout=600s`
pub fn rollout_status(d: &DeploymentRef, timeout: Duration) -> String {
    format!(
        "kubectl rollout status deployment/{} -n {} --timeout={}s",
        d.name,
        d.namespace,
        timeout.as_secs()
    )
}

/// `kubectl rollout history deployment/NAME -n NS`
pub fn rollout_history(d: &DeploymentRef) -> String {
    format!(
        "kubectl rollout history deployment/{} -n {}",
        d.name, d.namespace
    )
}

/// `kubectl rollout undo deployment/NAME -n NS [--to-revision=N]`
pub fn rollout_undo(d: &DeploymentRef, to: Option<Revision>) -> String {
    match to {
        Some(r) => format!(
            "kubectl rollout undo deployment/{} -n {} --to-revision={r}",
            d.name, d.namespace
        ),
        None => format!(
            "kubectl rollout undo deployment/{} -n {}",
            d.name, d.namespace
        ),
    }
}

/// `kubectl rollout restart deployment/NAME -n NS`
pub fn rollout_restart(d: &DeploymentRef) -> String {
    format!(
        "kubectl rollout restart deployment/{} -n {}",
        d.name, d.namespace
    )
}

/// `kubectl scale deployment NAME --replicas=N -n NS`
pub fn scale(d: &DeploymentRef, to: Replicas) -> String {
    format!(
        "kubectl scale deployment {} --replicas={to} -n {}",
        d.name, d.namespace
    )
}

/// `kubectl patch hpa NAME -n NS --patch='{"spec":{…}}'`
pub fn patch_hpa(
    ns: &Namespace,
    hpa: &str,
    min: Option<Replicas>,
    max: Option<Replicas>,
) -> String {
    let mut fields = Vec::new();
    if let Some(m) = min {
        fields.push(format!("\"minReplicas\":{m}"));
    }
    if let Some(m) = max {
        fields.push(format!("\"maxReplicas\":{m}"));
    }
    format!(
        "kubectl patch hpa {hpa} -n {ns} --patch='{{\"spec\":{{{}}}}}'",
        fields.join(",")
    )
}

/// `kubectl get deployment NAME -n NS -o jsonpath='{.spec.replicas}'`
pub fn get_replicas(d: &DeploymentRef) -> String {
    format!(
        "kubectl get deployment {} -n {} -o jsonpath='{{.spec.replicas}}'",
        d.name, d.namespace
    )
}

/// `kubectl get hpa -n NS`
pub fn get_hpa(ns: &Namespace) -> String {
    format!("kubectl get hpa -n {ns}")
}

/// `kubectl get RESOURCE -n NS`
pub fn get(resource: &str, ns: &Namespace) -> String {
    format!("kubectl get {resource} -n {ns}")
}

/// `kubectl top pods -n NS`
pub fn top_pods(ns: &Namespace) -> String {
    format!("kubectl top pods -n {ns}")
}

/// `curl -f URL`, with credentials and query values of the URL redacted
/// ([`crate::health::redact_url`]).
pub fn curl(url: &str) -> String {
    format!("curl -f {}", crate::health::redact_url(url))
}

/// `psql -U mcp_user -d DB -c "SQL"`
pub fn psql(database: &str, sql: &str) -> String {
    format!("psql -U mcp_user -d {database} -c \"{sql}\"")
}

/// `pg_dump -U mcp_user -d DB > FILE`
pub fn pg_dump(database: &str, file: &str) -> String {
    format!("pg_dump -U mcp_user -d {database} > {file}")
}

/// `psql -U mcp_user -d DB < FILE`
pub fn pg_restore(database: &str, file: &str) -> String {
    format!("psql -U mcp_user -d {database} < {file}")
}

/// `pg_isready -U mcp_user -d DB`
pub fn pg_isready(database: &str) -> String {
    format!("pg_isready -U mcp_user -d {database}")
}

/// `redis-cli ping`
pub fn redis_ping() -> String {
    "redis-cli ping".to_owned()
}

/// `kubectl patch secret NAME -n NS --patch='{"data":{"KEY":"<new value>"}}'` (never the value)
pub fn patch_secret(ns: &Namespace, name: &str, key: &str) -> String {
    format!(
        "kubectl patch secret {name} -n {ns} --patch='{{\"data\":{{\"{key}\":\"<new-{key}-base64>\"}}}}'"
    )
}

/// `openssl rand -base64 N`
pub fn openssl_rand(bytes: usize) -> String {
    format!("openssl rand -base64 {bytes}")
}

/// `curl -X POST …/api/v2/silences` (the runbook used v1, removed in Alertmanager 0.27)
pub fn silence(alertname: &str) -> String {
    format!(
        "curl -X POST $ALERTMANAGER/api/v2/silences -d '{{\"matchers\":[{{\"name\":\"alertname\",\"value\":\"{alertname}\",\"isRegex\":false}}],…}}'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_match_the_runbook() {
        let d: DeploymentRef = "mcp-production/mcp-typescript-api"
            .parse()
            .unwrap_or_else(|_| unreachable!());
        assert_eq!(
            rollout_undo(&d, None),
            "kubectl rollout undo deployment/mcp-typescript-api -n mcp-production"
        );
        assert_eq!(
            rollout_status(&d, Duration::from_secs(600)),
            "kubectl rollout status deployment/mcp-typescript-api -n mcp-production --timeout=600s"
        );
        let five = Replicas::new(5).unwrap_or_default();
        assert_eq!(
            scale(&d, five),
            "kubectl scale deployment mcp-typescript-api --replicas=5 -n mcp-production"
        );
        let ns = d.namespace.clone();
        let twenty = Replicas::new(20).unwrap_or_default();
        assert_eq!(
            patch_hpa(&ns, "mcp-typescript-api-hpa", None, Some(twenty)),
            "kubectl patch hpa mcp-typescript-api-hpa -n mcp-production --patch='{\"spec\":{\"maxReplicas\":20}}'"
        );
        assert!(!patch_secret(&ns, "mcp-secrets", "jwt-secret").contains("seed"));
        assert_eq!(
            curl("https://ops:hunter2@api.example/health?token=abc&v=1"),
            "curl -f https://***@api.example/health?token=***&v=***"
        );
        assert_eq!(
            curl("https://api.mcp-production.com/health"),
            "curl -f https://api.mcp-production.com/health"
        );
    }
}

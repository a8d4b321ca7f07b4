//! The runbook's `mcp-production` scenario.

use super::objects::{cronjob, deployment, hpa, namespace, node, service, statefulset};
use super::{Scenario, Step};
use serde_json::json;

impl Scenario {
    /// The runbook's `mcp-production` namespace: three deployments with a rollout history of
    /// three revisions, services, an ingress, HPAs, a VPA, StatefulSets `postgres-primary` and
    /// `redis`, CronJobs `postgres-backup` and `app-data-backup`, secret `mcp-secrets` and
    /// config map `mcp-config` (which the services read through env and envFrom), a network
    /// policy and three nodes.
    ///
    /// ```
    /// # #[tokio::main]
    /// # async fn main() -> mcp_ops_core::Result<()> {
    /// use mcp_ops_k8s::sim::{Scenario, SimCluster};
    ///
    /// let sim = SimCluster::start(Scenario::mcp_production()).await?;
    /// let deployments = sim.list("apps/v1", "Deployment", Some("mcp-production"));
    /// assert_eq!(deployments.len(), 3);
    /// assert!(sim.get("batch/v1", "CronJob", "mcp-production", "postgres-backup").is_some());
    /// # Ok(()) }
    /// ```
    pub fn mcp_production() -> Self {
        let ns = "mcp-production";
        let mut s = Self::empty();
        s.steps
            .retain(|st| !matches!(st, Step::Create(v) if v["kind"] == "Node"));
        s = s.with_object(namespace(ns));
        for (i, n) in ["ip-10-0-1-11", "ip-10-0-1-12", "ip-10-0-1-13"]
            .iter()
            .enumerate()
        {
            s = s.with_object(node(n, &format!("10.0.1.{}", 11 + i)));
        }
        let apps = [
            (
                "mcp-typescript-api",
                "ghcr.io/your-org/mcp-typescript-server",
                3,
                3000,
            ),
            (
                "mcp-learning-system",
                "ghcr.io/your-org/mcp-learning-system",
                2,
                8000,
            ),
            (
                "mcp-rust-server",
                "ghcr.io/your-org/mcp-rust-server",
                3,
                8080,
            ),
        ];
        for (name, repo, replicas, port) in apps {
            let mut d = deployment(ns, name, &format!("{repo}:v0.9.0"), replicas, port);
            d["metadata"]["annotations"] =
                json!({"kubernetes.io/change-cause": format!("initial release {repo}:v0.9.0")});
            // What the services read from `mcp-secrets` and `mcp-config`, as real ones do: the
            // configuration check and secret rotation's dependents rely on it.
            d["spec"]["template"]["spec"]["containers"][0]["env"] = service_env(name);
            d["spec"]["template"]["spec"]["containers"][0]["envFrom"] =
                json!([{"configMapRef": {"name": "mcp-config"}}]);
            s = s
                .with_object(d)
                .with_object(service(ns, &format!("{name}-service"), name, port));
        }
        for (name, repo, _, _) in apps {
            for v in ["v0.9.5", "v1.0.0"] {
                s.steps.push(Step::SetImage {
                    namespace: ns.into(),
                    deployment: name.into(),
                    container: name.into(),
                    image: format!("{repo}:{v}"),
                    cause: format!("kubectl set image deployment/{name} {name}={repo}:{v}"),
                });
            }
        }
        s = s
            .with_object(statefulset(ns, "postgres-primary", "postgres:15", 5432))
            .with_object(statefulset(ns, "redis", "redis:7", 6379))
            .with_object(service(ns, "postgres-primary", "postgres-primary", 5432))
            .with_object(service(ns, "redis", "redis", 6379))
            .with_object(json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "mcp-ingress", "namespace": ns},
                "spec": {"ingressClassName": "nginx", "tls": [{"hosts": ["api.mcp-production.com"], "secretName": "mcp-tls"}],
                    "rules": [{"host": "api.mcp-production.com", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                        "backend": {"service": {"name": "mcp-typescript-api-service", "port": {"number": 3000}}}}]}}]},
                "status": {"loadBalancer": {"ingress": [{"hostname": "mcp-prod-lb-1234567890.us-east-1.elb.amazonaws.com"}]}}}))
            .with_object(hpa(ns, "mcp-typescript-api", 3, 10))
            .with_object(hpa(ns, "mcp-learning-system", 2, 6))
            .with_object(hpa(ns, "mcp-rust-server", 3, 12))
            .with_object(json!({"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler", "metadata": {"name": "mcp-typescript-api-vpa", "namespace": ns},
                "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "mcp-typescript-api"}, "updatePolicy": {"updateMode": "Off"}},
                "status": {"recommendation": {"containerRecommendations": [{"containerName": "mcp-typescript-api",
                    "lowerBound": {"cpu": "200m", "memory": "300Mi"}, "target": {"cpu": "350m", "memory": "512Mi"}, "upperBound": {"cpu": "1", "memory": "1Gi"}}]}}}))
            .with_object(cronjob(ns, "postgres-backup", "0 2 * * *", "postgres:15", &["pg_dump", "-h", "postgres-primary", "-U", "mcp_user", "mcp_db"]))
            .with_object(cronjob(ns, "app-data-backup", "30 2 * * *", "ghcr.io/your-org/mcp-backup:v1.0.0", &["backup", "--target", "s3://mcp-backups/app-data"]))
            .with_object(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "mcp-secrets", "namespace": ns}, "type": "Opaque",
                "data": {"jwt-secret": "c2ltLWp3dC1zZWNyZXQtMDAx", "db-password": "c2ltLWRiLXBhc3N3b3JkLTAwMQ=="}}))
            .with_object(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "mcp-config", "namespace": ns},
                "data": {"LOG_LEVEL": "info", "DB_POOL_SIZE": "20"}}))
            .with_object(json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "mcp-default-deny", "namespace": ns},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}));
        s
    }
}

/// The environment a service reads from `mcp-secrets`: every service the database password,
/// the API and the Rust server the JWT secret.
fn service_env(name: &str) -> serde_json::Value {
    let secret = |var: &str, key: &str| json!({"name": var, "valueFrom": {"secretKeyRef": {"name": "mcp-secrets", "key": key}}});
    let mut env = vec![secret("DB_PASSWORD", "db-password")];
    if name != "mcp-learning-system" {
        env.push(secret("JWT_SECRET", "jwt-secret"));
    }
    serde_json::Value::Array(env)
}

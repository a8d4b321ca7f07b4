//! Turning Kubernetes objects into health findings (pure functions, unit-tested).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Endpoints, Event, Node, Service};
use k8s_openapi::api::networking::v1::Ingress;
use mcp_ops_core::health::{ClusterScope, HealthDetail, HealthStatus, Observation, ObservedValue};

use super::pods::PodFacts;

/// Waiting/terminated reasons that make a pod unhealthy.
pub const BAD_REASONS: [&str; 6] = [
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "OOMKilled",
    "CreateContainerConfigError",
    "InvalidImageName",
];

/// Findings collected over the objects of a scope.
#[derive(Debug, Default)]
pub struct Findings {
    details: Vec<HealthDetail>,
    observed: Vec<Observation>,
    counts: BTreeMap<&'static str, u64>,
}

fn detail(object: String, status: HealthStatus, reason: impl Into<String>) -> HealthDetail {
    HealthDetail {
        object,
        status,
        reason: reason.into(),
    }
}

fn count(v: Option<i32>) -> u64 {
    u64::try_from(v.unwrap_or(0)).unwrap_or(0)
}

impl Findings {
    /// Adds an observation.
    pub fn observe(&mut self, name: &str, value: ObservedValue) {
        self.observed.push(Observation {
            name: name.into(),
            value,
        });
    }

    fn counted(&mut self, what: &'static str, n: usize) {
        *self.counts.entry(what).or_default() += u64::try_from(n).unwrap_or(u64::MAX);
    }

    /// Nodes: Ready, pressure conditions, unschedulable.
    pub fn nodes(&mut self, nodes: &[Node]) {
        self.counted("nodes", nodes.len());
        let mut ready = 0;
        for n in nodes {
            let obj = format!("node/{}", n.metadata.name.clone().unwrap_or_default());
            let conds = n
                .status
                .as_ref()
                .and_then(|s| s.conditions.clone())
                .unwrap_or_default();
            let is = |t: &str| conds.iter().any(|c| c.type_ == t && c.status == "True");
            if !is("Ready") {
                self.details
                    .push(detail(obj.clone(), HealthStatus::Unhealthy, "NotReady"));
            } else {
                ready += 1;
            }
            for p in [
                "MemoryPressure",
                "DiskPressure",
                "PIDPressure",
                "NetworkUnavailable",
            ] {
                if is(p) {
                    self.details
                        .push(detail(obj.clone(), HealthStatus::Degraded, p));
                }
            }
            if n.spec.as_ref().and_then(|s| s.unschedulable) == Some(true) {
                self.details.push(detail(
                    obj.clone(),
                    HealthStatus::Degraded,
                    "SchedulingDisabled (cordoned)",
                ));
            }
        }
        self.observe("ready_nodes", ObservedValue::Count(ready));
    }

    /// Pods: phase, readiness, restarts and bad waiting/terminated reasons.
    pub fn pods(&mut self, pods: &[&PodFacts]) {
        self.counted("pods", pods.len());
        let mut restarts_total = 0;
        let mut ready = 0;
        for p in pods {
            let obj = format!("pod/{}", p.name);
            let phase = &p.phase;
            if phase == "Succeeded" {
                continue;
            }
            let restarts = p.restarts;
            restarts_total += restarts;
            if let Some(reason) = &p.bad_reason {
                self.details.push(detail(
                    obj,
                    HealthStatus::Unhealthy,
                    format!("{reason}, {restarts} restarts"),
                ));
            } else if phase == "Failed" {
                self.details
                    .push(detail(obj, HealthStatus::Unhealthy, "phase Failed"));
            } else if p.ready {
                ready += 1;
            } else {
                self.details.push(detail(
                    obj,
                    HealthStatus::Degraded,
                    format!("phase {phase}, not ready"),
                ));
            }
        }
        self.observe("ready_pods", ObservedValue::Count(ready));
        self.observe("pod_restarts", ObservedValue::Count(restarts_total));
    }

    /// Deployments: available vs desired.
    pub fn deployments(&mut self, deps: &[Deployment]) {
        self.counted("deployments", deps.len());
        for d in deps {
            let obj = format!("deployment/{}", d.metadata.name.clone().unwrap_or_default());
            let desired = count(d.spec.as_ref().and_then(|s| s.replicas).or(Some(1)));
            let available = count(d.status.as_ref().and_then(|s| s.available_replicas));
            let reason = format!("{available}/{desired} available");
            if desired > 0 && available == 0 {
                self.details
                    .push(detail(obj, HealthStatus::Unhealthy, reason));
            } else if available < desired {
                self.details
                    .push(detail(obj, HealthStatus::Degraded, reason));
            }
        }
    }

    /// Services: ready endpoints (from the service's Endpoints object, or the ready pods its
    /// selector picks when there is no such object).
    pub fn services(&mut self, svcs: &[Service], eps: Option<&[Endpoints]>, pods: &[&PodFacts]) {
        self.counted("services", svcs.len());
        for s in svcs {
            let name = s.metadata.name.clone().unwrap_or_default();
            let Some(selector) = s.spec.as_ref().and_then(|sp| sp.selector.clone()) else {
                continue; // no selector: endpoints are managed by hand
            };
            if selector.is_empty() {
                continue;
            }
            let endpoints = eps
                .unwrap_or_default()
                .iter()
                .find(|e| e.metadata.name.as_deref() == Some(name.as_str()));
            let ready = match endpoints {
                Some(e) => e
                    .subsets
                    .iter()
                    .flatten()
                    .map(|ss| ss.addresses.as_ref().map_or(0, Vec::len))
                    .sum(),
                // No Endpoints object (the endpoints controller has not written one, or the
                // API does not serve them): count the ready pods the selector picks.
                None => pods
                    .iter()
                    .filter(|p| selector.iter().all(|(k, v)| p.labels.get(k) == Some(v)) && p.ready)
                    .count(),
            };
            if ready == 0 {
                self.details.push(detail(
                    format!("service/{name}"),
                    HealthStatus::Unhealthy,
                    "no ready endpoints",
                ));
            }
        }
    }

    /// Ingresses: rules and a load balancer address.
    pub fn ingresses(&mut self, ings: &[Ingress]) {
        self.counted("ingresses", ings.len());
        for i in ings {
            let obj = format!("ingress/{}", i.metadata.name.clone().unwrap_or_default());
            let rules = i
                .spec
                .as_ref()
                .and_then(|s| s.rules.as_ref())
                .map_or(0, Vec::len);
            let has_default = i.spec.as_ref().is_some_and(|s| s.default_backend.is_some());
            let lb = i
                .status
                .as_ref()
                .and_then(|s| s.load_balancer.as_ref())
                .and_then(|l| l.ingress.as_ref())
                .is_some_and(|v| !v.is_empty());
            if rules == 0 && !has_default {
                self.details
                    .push(detail(obj.clone(), HealthStatus::Degraded, "no rules"));
            }
            if !lb {
                self.details.push(detail(
                    obj,
                    HealthStatus::Degraded,
                    "no load balancer address",
                ));
            }
        }
    }

    /// Warning events, newest first by lastTimestamp (eventTime, then creation, when unset).
    pub fn events(&mut self, events: &[Event]) {
        let mut warnings: Vec<&Event> = events
            .iter()
            .filter(|e| e.type_.as_deref() == Some("Warning"))
            .collect();
        let when = |e: &Event| {
            e.last_timestamp
                .as_ref()
                .map(|t| t.0)
                .or_else(|| e.event_time.as_ref().map(|t| t.0))
                .or_else(|| e.metadata.creation_timestamp.as_ref().map(|t| t.0))
        };
        warnings.sort_by_key(|e| std::cmp::Reverse(when(e)));
        self.observe(
            "warning_events",
            ObservedValue::Count(u64::try_from(warnings.len()).unwrap_or(u64::MAX)),
        );
        for e in warnings.iter().take(10) {
            let obj = &e.involved_object;
            self.observe(
                "warning",
                ObservedValue::Text(format!(
                    "{} {}/{}: {}",
                    e.reason.clone().unwrap_or_default(),
                    obj.kind.clone().unwrap_or_default().to_lowercase(),
                    obj.name.clone().unwrap_or_default(),
                    e.message.clone().unwrap_or_default()
                )),
            );
        }
    }

    /// The verdict, a one-line message, the observations and the details worst first.
    pub fn finish(
        mut self,
        scope: &ClusterScope,
    ) -> (HealthStatus, String, Vec<Observation>, Vec<HealthDetail>) {
        self.details.sort_by_key(|d| std::cmp::Reverse(d.status));
        let status = super::worst(&self.details);
        let bad = |s| self.details.iter().filter(|d| d.status == s).count();
        let checked: Vec<String> = self
            .counts
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect();
        let message = format!(
            "{}: {} checked; {} unhealthy, {} degraded",
            scope.namespace,
            checked.join(", "),
            bad(HealthStatus::Unhealthy),
            bad(HealthStatus::Degraded)
        );
        for (k, v) in &self.counts {
            self.observed.push(Observation {
                name: (*k).to_owned(),
                value: ObservedValue::Count(*v),
            });
        }
        (status, message, self.observed, self.details)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use k8s_openapi::api::core::v1::Pod;
    use mcp_ops_core::types::Namespace;
    use serde_json::json;

    fn scope() -> ClusterScope {
        ClusterScope::all(Namespace::new("ns").unwrap())
    }

    #[test]
    fn crashloop_and_oom_pods_are_unhealthy() {
        let pods: Vec<Pod> = serde_json::from_value(json!([
            {"metadata": {"name": "a"}, "status": {"phase": "Running", "containerStatuses": [
                {"name": "c", "image": "i", "imageID": "", "ready": false, "restartCount": 7,
                 "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}},
            {"metadata": {"name": "b"}, "status": {"phase": "Running", "containerStatuses": [
                {"name": "c", "image": "i", "imageID": "", "ready": false, "restartCount": 1,
                 "state": {"running": {}}, "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]}},
            {"metadata": {"name": "c"}, "status": {"phase": "Running",
                "conditions": [{"type": "Ready", "status": "True"}]}},
        ])).unwrap();
        let facts: Vec<PodFacts> = pods.iter().map(PodFacts::of).collect();
        let mut f = Findings::default();
        f.pods(&facts.iter().collect::<Vec<_>>());
        let (status, message, observed, details) = f.finish(&scope());
        assert_eq!(status, HealthStatus::Unhealthy);
        assert_eq!(details.len(), 2);
        assert_eq!(details[0].reason, "CrashLoopBackOff, 7 restarts");
        assert!(details[1].reason.starts_with("OOMKilled"));
        assert!(message.contains("2 unhealthy"));
        assert!(
            observed
                .iter()
                .any(|o| o.name == "pod_restarts" && o.value == ObservedValue::Count(8))
        );
    }

    #[test]
    fn nodes_deployments_and_ingresses() {
        let nodes: Vec<Node> = serde_json::from_value(json!([
            {"metadata": {"name": "n1"}, "spec": {"unschedulable": true}, "status": {"conditions": [
                {"type": "Ready", "status": "True"}, {"type": "DiskPressure", "status": "True"}]}},
            {"metadata": {"name": "n2"}, "status": {"conditions": [{"type": "Ready", "status": "False"}]}}
        ])).unwrap();
        let deps: Vec<Deployment> = serde_json::from_value(json!([
            {"metadata": {"name": "d"}, "spec": {"replicas": 3, "selector": {}, "template": {}}, "status": {"availableReplicas": 2}}
        ])).unwrap();
        let ings: Vec<Ingress> = serde_json::from_value(
            json!([{"metadata": {"name": "i"}, "spec": {"rules": [{"host": "h"}]}}]),
        )
        .unwrap();
        let mut f = Findings::default();
        f.nodes(&nodes);
        f.deployments(&deps);
        f.ingresses(&ings);
        let (status, _, _, details) = f.finish(&scope());
        assert_eq!(status, HealthStatus::Unhealthy);
        let reasons: Vec<&str> = details.iter().map(|d| d.reason.as_str()).collect();
        assert_eq!(reasons[0], "NotReady");
        for r in [
            "DiskPressure",
            "SchedulingDisabled (cordoned)",
            "2/3 available",
            "no load balancer address",
        ] {
            assert!(reasons.contains(&r), "{r} in {reasons:?}");
        }
    }

    #[test]
    fn warnings_newest_first() {
        let events: Vec<Event> = serde_json::from_value(json!([
            {"metadata": {"name": "e1"}, "type": "Warning", "reason": "Old", "lastTimestamp": "2025-01-01T00:00:00Z", "involvedObject": {"kind": "Pod", "name": "p"}},
            {"metadata": {"name": "e2"}, "type": "Normal", "reason": "Fine", "involvedObject": {}},
            {"metadata": {"name": "e3"}, "type": "Warning", "reason": "New", "lastTimestamp": "2025-01-02T00:00:00Z", "involvedObject": {"kind": "Pod", "name": "p"}}
        ])).unwrap();
        let mut f = Findings::default();
        f.events(&events);
        let (status, _, observed, _) = f.finish(&scope());
        assert_eq!(status, HealthStatus::Healthy);
        let texts: Vec<&ObservedValue> = observed
            .iter()
            .filter(|o| o.name == "warning")
            .map(|o| &o.value)
            .collect();
        assert!(matches!(texts[0], ObservedValue::Text(t) if t.starts_with("New pod/p")));
        assert!(
            observed
                .iter()
                .any(|o| o.name == "warning_events" && o.value == ObservedValue::Count(2))
        );
    }
}

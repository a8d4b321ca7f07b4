//! The resource types the simulator serves: group, version, names, scope, verbs.

/// The verbs of an ordinary read-write resource.
const RW: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
/// The verbs of a review (access and token reviews are created, never stored).
const CREATE: &[&str] = &["create"];
/// The verbs of a read-only resource (metrics).
const RO: &[&str] = &["get", "list"];

/// One resource type served by the simulator (one entry of discovery).
#[derive(Debug, PartialEq, Eq)]
pub struct ResourceType {
    /// API group; empty for the core group.
    pub group: &'static str,
    /// API version, e.g. `v1`.
    pub version: &'static str,
    /// Plural resource name as it appears in paths, e.g. `deployments`.
    pub plural: &'static str,
    /// Singular name, e.g. `deployment`.
    pub singular: &'static str,
    /// Kind, e.g. `Deployment`.
    pub kind: &'static str,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
    /// Short names (`deploy`, `po`, ...).
    pub short_names: &'static [&'static str],
    /// Categories (`all`).
    pub categories: &'static [&'static str],
    /// Subresources served (`status`, `scale`, `log`).
    pub subresources: &'static [&'static str],
    /// Verbs served on the main resource.
    pub verbs: &'static [&'static str],
    /// Whether `metadata.generation` is tracked (bumped on spec changes).
    pub generation: bool,
}

impl ResourceType {
    /// `apiVersion` of the objects: `v1` or `group/version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The name used in error messages: `pods` or `deployments.apps`.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// Kind qualified by group, as in "Deployment.apps \"x\" is invalid".
    pub fn qualified_kind(&self) -> String {
        if self.group.is_empty() {
            self.kind.to_string()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }

    /// Whether the subresource is served.
    pub fn has_sub(&self, sub: &str) -> bool {
        self.subresources.contains(&sub)
    }

    /// Whether the verb is served.
    pub fn allows(&self, verb: &str) -> bool {
        self.verbs.contains(&verb)
    }
}

macro_rules! rt {
    ($g:expr, $v:expr, $p:expr, $s:expr, $k:expr, $ns:expr, $short:expr, $cat:expr, $sub:expr, $verbs:expr, $gen:expr) => {
        ResourceType {
            group: $g,
            version: $v,
            plural: $p,
            singular: $s,
            kind: $k,
            namespaced: $ns,
            short_names: $short,
            categories: $cat,
            subresources: $sub,
            verbs: $verbs,
            generation: $gen,
        }
    };
}

const ALL: &[&str] = &["all"];
const NONE: &[&str] = &[];

/// Every resource type the simulator serves.
#[rustfmt::skip]
pub static RESOURCES: &[ResourceType] = &[
    rt!("", "v1", "namespaces", "namespace", "Namespace", false, &["ns"], NONE, &["status"], RW, false),
    rt!("", "v1", "nodes", "node", "Node", false, &["no"], NONE, &["status"], RW, false),
    rt!("", "v1", "pods", "pod", "Pod", true, &["po"], ALL, &["status", "log"], RW, true),
    rt!("", "v1", "services", "service", "Service", true, &["svc"], ALL, &["status"], RW, false),
    rt!("", "v1", "endpoints", "endpoints", "Endpoints", true, &["ep"], NONE, NONE, RW, false),
    rt!("", "v1", "configmaps", "configmap", "ConfigMap", true, &["cm"], NONE, NONE, RW, false),
    rt!("", "v1", "secrets", "secret", "Secret", true, NONE, NONE, NONE, RW, false),
    rt!("", "v1", "events", "event", "Event", true, &["ev"], NONE, NONE, RW, false),
    rt!("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, &["sa"], NONE, NONE, RW, false),
    rt!("apps", "v1", "deployments", "deployment", "Deployment", true, &["deploy"], ALL, &["status", "scale"], RW, true),
    rt!("apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, &["rs"], ALL, &["status", "scale"], RW, true),
    rt!("apps", "v1", "controllerrevisions", "controllerrevision", "ControllerRevision", true, NONE, NONE, NONE, RW, false),
    rt!("apps", "v1", "statefulsets", "statefulset", "StatefulSet", true, &["sts"], ALL, &["status", "scale"], RW, true),
    rt!("batch", "v1", "jobs", "job", "Job", true, NONE, ALL, &["status"], RW, true),
    rt!("batch", "v1", "cronjobs", "cronjob", "CronJob", true, &["cj"], ALL, &["status"], RW, true),
    rt!("autoscaling", "v2", "horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler", true, &["hpa"], ALL, &["status"], RW, false),
    rt!("autoscaling", "v1", "horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler", true, &["hpa"], ALL, &["status"], RW, false),
    rt!("networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", true, &["ing"], NONE, &["status"], RW, true),
    rt!("networking.k8s.io", "v1", "networkpolicies", "networkpolicy", "NetworkPolicy", true, &["netpol"], NONE, NONE, RW, true),
    rt!("discovery.k8s.io", "v1", "endpointslices", "endpointslice", "EndpointSlice", true, NONE, NONE, NONE, RW, true),
    rt!("autoscaling.k8s.io", "v1", "verticalpodautoscalers", "verticalpodautoscaler", "VerticalPodAutoscaler", true, &["vpa"], NONE, &["status"], RW, true),
    rt!("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "selfsubjectaccessreview", "SelfSubjectAccessReview", false, NONE, NONE, NONE, CREATE, false),
    rt!("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "selfsubjectrulesreview", "SelfSubjectRulesReview", false, NONE, NONE, NONE, CREATE, false),
    rt!("authorization.k8s.io", "v1", "subjectaccessreviews", "subjectaccessreview", "SubjectAccessReview", false, NONE, NONE, NONE, CREATE, false),
    rt!("authorization.k8s.io", "v1", "localsubjectaccessreviews", "localsubjectaccessreview", "LocalSubjectAccessReview", true, NONE, NONE, NONE, CREATE, false),
    rt!("authentication.k8s.io", "v1", "selfsubjectreviews", "selfsubjectreview", "SelfSubjectReview", false, NONE, NONE, NONE, CREATE, false),
    rt!("authentication.k8s.io", "v1", "tokenreviews", "tokenreview", "TokenReview", false, NONE, NONE, NONE, CREATE, false),
    rt!("metrics.k8s.io", "v1beta1", "nodes", "", "NodeMetrics", false, NONE, NONE, NONE, RO, false),
    rt!("metrics.k8s.io", "v1beta1", "pods", "", "PodMetrics", true, NONE, NONE, NONE, RO, false),
];

/// Finds a resource type by group, version and plural name.
pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// Finds a resource type by `apiVersion` and `kind`.
pub fn by_kind(api_version: &str, kind: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.kind == kind && r.api_version() == api_version)
}

/// Finds a core or apps resource type by plural name, for internal use by controllers.
pub fn get(group: &str, plural: &str) -> &'static ResourceType {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.plural == plural)
        .unwrap_or(&RESOURCES[0])
}

/// The groups served, in discovery order, each with its versions (the preferred one first).
pub fn groups() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut out: Vec<(&str, Vec<&str>)> = Vec::new();
    for r in RESOURCES.iter().filter(|r| !r.group.is_empty()) {
        match out.iter_mut().find(|(g, _)| *g == r.group) {
            Some((_, versions)) if !versions.contains(&r.version) => versions.push(r.version),
            Some(_) => {}
            None => out.push((r.group, vec![r.version])),
        }
    }
    out
}

/// The version objects of a resource are stored in (the group's preferred one): requests to
/// other versions are converted (`autoscaling/v1` HPAs are stored as `autoscaling/v2`).
pub fn storage(rt: &'static ResourceType) -> &'static ResourceType {
    RESOURCES
        .iter()
        .find(|r| r.group == rt.group && r.plural == rt.plural)
        .unwrap_or(rt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_by_path_and_kind() {
        let d = find("apps", "v1", "deployments").map(|r| r.kind);
        assert_eq!(d, Some("Deployment"));
        assert_eq!(
            by_kind("batch/v1", "CronJob").map(|r| r.plural),
            Some("cronjobs")
        );
        assert_eq!(get("", "pods").qualified(), "pods");
        assert_eq!(get("apps", "replicasets").qualified(), "replicasets.apps");
        assert!(groups().contains(&("metrics.k8s.io", vec!["v1beta1"])));
        let autoscaling = groups().into_iter().find(|(g, _)| *g == "autoscaling");
        assert_eq!(autoscaling, Some(("autoscaling", vec!["v2", "v1"])));
    }
}

//! Object constructors for scenarios: nodes, namespaces, deployments and their neighbours.

use serde_json::{Value, json};

/// A Ready node with 4 CPUs and 16 GiB.
pub fn node(name: &str, ip: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "node.kubernetes.io/instance-type": "m5.xlarge"}},
        "spec": {"podCIDR": "10.244.0.0/24"},
        "status": {
            "capacity": {"cpu": "4", "memory": "16393220Ki", "pods": "110", "ephemeral-storage": "102350Mi"},
            "allocatable": {"cpu": "3920m", "memory": "15242244Ki", "pods": "110", "ephemeral-storage": "94477Mi"},
            "conditions": [
                {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory", "message": "kubelet has sufficient memory available"},
                {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure", "message": "kubelet has no disk pressure"},
                {"type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID", "message": "kubelet has sufficient PID available"},
                {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status"}
            ],
            "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
            "nodeInfo": {"kubeletVersion": "v1.36.3", "kubeProxyVersion": "v1.36.3", "osImage": "Ubuntu 22.04.4 LTS", "kernelVersion": "5.15.0-105-generic",
                "containerRuntimeVersion": "containerd://1.7.13", "architecture": "amd64", "operatingSystem": "linux",
                "machineID": "", "systemUUID": "", "bootID": ""}
        }
    })
}

/// A namespace.
pub fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}}})
}

/// A deployment whose container is named like the deployment and labelled `app=<name>`.
pub fn deployment(ns: &str, name: &str, image: &str, replicas: i64, port: i64) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{
                    "name": name, "image": image,
                    "ports": [{"containerPort": port, "name": "http"}],
                    "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}
                }]}
            }
        }
    })
}

/// A ClusterIP service selecting `app=<app>`.
pub fn service(ns: &str, name: &str, app: &str, port: i64) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
        "spec": {"selector": {"app": app}, "ports": [{"name": "http", "port": port, "targetPort": port}]}})
}

/// A one-replica StatefulSet whose container is named like it.
pub fn statefulset(ns: &str, name: &str, image: &str, port: i64) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {"replicas": 1, "serviceName": name, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": name, "image": image,
                "ports": [{"containerPort": port}], "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}]}}}})
}

/// A CronJob whose job template runs `image` with `args`.
pub fn cronjob(ns: &str, name: &str, schedule: &str, image: &str, args: &[&str]) -> Value {
    json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name, "namespace": ns},
        "spec": {"schedule": schedule, "jobTemplate": {"metadata": {"labels": {"app": name}}, "spec": {"backoffLimit": 2, "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"restartPolicy": "OnFailure", "containers": [{"name": name, "image": image, "args": args}]}}}}}})
}

/// An `autoscaling/v2` HPA `<target>-hpa` on CPU utilisation 70 %.
pub fn hpa(ns: &str, target: &str, min: i64, max: i64) -> Value {
    json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": format!("{target}-hpa"), "namespace": ns},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target}, "minReplicas": min, "maxReplicas": max,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}})
}

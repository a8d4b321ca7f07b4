//! `ops quarantine <pod> [--release]` and `ops audit` (Security Incident Response), on the
//! Kubernetes backend (the embedded simulated cluster or `--kubeconfig`'s).

use std::collections::BTreeMap;

use mcp_ops_core::change::ChangeSpec;
use mcp_ops_core::types::{Namespace, ResourceName};
use mcp_ops_k8s::KubeCluster;
use mcp_ops_k8s::security::audit::{Check, Finding};
use mcp_ops_k8s::security::{
    QUARANTINE_LABEL, QUARANTINE_POLICY, QuarantineOptions, QuarantineReport,
};
use serde_json::json;

use crate::backends::Backends;
use crate::cli::Global;
use crate::output::{Report, Status, table, to_value};
use crate::{Failure, Outcome, context};

fn kube(b: &Backends) -> Result<&KubeCluster, Failure> {
    Ok(&b.kube)
}

/// `ops quarantine <pod> [--release]`: label the pod `security.breach=true` and make sure
/// the deny-all NetworkPolicy selects it; the pod is kept, with its logs and events as
/// evidence. `--release` removes the label.
pub async fn quarantine(pod: &str, release: bool, g: &Global, b: &Backends) -> Outcome {
    let kube = kube(b)?;
    let ns = Namespace::new(&g.namespace)?;
    let name = ResourceName::new(pod)?;
    if release {
        return lift(kube, &ns, &name, g, b).await;
    }
    let ctx = context("quarantine", "ops quarantine: security incident", g, b)?;
    // The change policy, before the first write (a dry run is not checked).
    ctx.authorize(&ChangeSpec::Quarantine {
        namespace: ns.clone(),
        pod: name.clone(),
        release: false,
    })
    .await?;
    let intent = ctx.intent().clone();
    let target = format!("pod/{name}");
    let options = QuarantineOptions::default();
    // The policy: podSelector security.breach=true, policyTypes Ingress and Egress, no rules.
    let apply = format!("kubectl apply -n {ns} -f {QUARANTINE_POLICY}.yaml");
    let label = format!(
        "kubectl label pod {name} {}={} -n {ns}",
        QUARANTINE_LABEL.0, QUARANTINE_LABEL.1
    );
    let command = format!("{apply} && {label}");
    let describe = |r: &QuarantineReport| {
        format!(
            "isolated by {}; evidence: {} log lines, {} events",
            r.network_policy,
            r.evidence.logs_tail.lines().count(),
            r.evidence.events.len()
        )
    };
    let done = if g.dry_run {
        // The server checks the change without keeping it (dryRun=All).
        Some(
            ctx.step("server-side dry run", target.clone())
                .action("validate the label and the NetworkPolicy (dryRun=All)")
                .command(format!(
                    "{apply} --dry-run=server && {label} --dry-run=server"
                ))
                .read(|| kube.quarantine(&ns, &name, options, &intent), describe)
                .await?,
        )
    } else {
        None
    };
    let applied = ctx
        .step("quarantine", target)
        .action(format!(
            "deny all traffic of pods labelled {}={} (NetworkPolicy {QUARANTINE_POLICY}), label the pod, keep it and collect its logs and events",
            QUARANTINE_LABEL.0, QUARANTINE_LABEL.1
        ))
        .command(command)
        .act(|| kube.quarantine(&ns, &name, options, &intent), describe)
        .await?;
    let (status, summary, result) = match (applied, done) {
        (Some(r), _) => (
            Status::Ok,
            format!(
                "quarantined pod {name}: kept for forensics, all its traffic denied by NetworkPolicy {QUARANTINE_POLICY}"
            ),
            Some(r),
        ),
        (None, r) => (
            Status::Planned,
            format!(
                "dry run: would quarantine pod {name} (NetworkPolicy {QUARANTINE_POLICY}); nothing changed"
            ),
            r,
        ),
    };
    let rows = result.iter().flat_map(|r| {
        [
            vec!["pod".to_owned(), format!("{name} (kept)")],
            vec![
                "label".to_owned(),
                format!("{}={}", QUARANTINE_LABEL.0, QUARANTINE_LABEL.1),
            ],
            vec!["network policy".to_owned(), r.network_policy.clone()],
            vec![
                "evidence: log lines".to_owned(),
                r.evidence.logs_tail.lines().count().to_string(),
            ],
            vec![
                "evidence: events".to_owned(),
                r.evidence.events.len().to_string(),
            ],
        ]
    });
    let data = json!({"action": "quarantine", "namespace": ns.as_str(), "pod": name.as_str(),
                      "result": to_value(&result)});
    Ok(Report::new("quarantine", status, summary, data)
        .table("Quarantine", table(&["WHAT", "VALUE"], rows))
        .journal(ctx.journal().entries()))
}

/// `ops quarantine <pod> --release`.
async fn lift(
    kube: &KubeCluster,
    ns: &Namespace,
    name: &ResourceName,
    g: &Global,
    b: &Backends,
) -> Outcome {
    let ctx = context("quarantine", "ops quarantine --release", g, b)?;
    ctx.authorize(&ChangeSpec::Quarantine {
        namespace: ns.clone(),
        pod: name.clone(),
        release: true,
    })
    .await?;
    let intent = ctx.intent().clone();
    let target = format!("pod/{name}");
    let command = format!("kubectl label pod {name} {}- -n {ns}", QUARANTINE_LABEL.0);
    if g.dry_run {
        ctx.step("server-side dry run", target.clone())
            .action("validate removing the label (dryRun=All)")
            .command(format!("{command} --dry-run=server"))
            .read(|| kube.release(ns, name, &intent), |()| "valid".to_owned())
            .await?;
    }
    let released = ctx
        .step("release", target)
        .action(format!(
            "remove the label {}; NetworkPolicy {QUARANTINE_POLICY} stays for other pods",
            QUARANTINE_LABEL.0
        ))
        .command(command)
        .act(
            || kube.release(ns, name, &intent),
            |()| "released".to_owned(),
        )
        .await?;
    let (status, summary) = if released.is_some() {
        (Status::Ok, format!("released pod {name} from quarantine"))
    } else {
        (
            Status::Planned,
            format!("dry run: would release pod {name}; nothing changed"),
        )
    };
    let data = json!({"action": "release", "namespace": ns.as_str(), "pod": name.as_str(),
                      "result": null});
    Ok(Report::new("quarantine", status, summary, data).journal(ctx.journal().entries()))
}

/// `ops audit`: every pod of the namespace against the hardening checklist; exit 1 when a
/// check fails.
pub async fn audit(g: &Global, b: &Backends) -> Outcome {
    let kube = kube(b)?;
    let ns = Namespace::new(&g.namespace)?;
    let ctx = context("audit", "ops audit", g, b)?;
    let findings = ctx
        .step("audit", format!("namespace/{ns}"))
        .action("check pods against the hardening checklist")
        .command(format!("kubectl get pods,networkpolicies -n {ns} -o json"))
        .read(
            || kube.audit(&ns),
            |f: &Vec<Finding>| format!("{} findings", f.len()),
        )
        .await?;
    let pods: std::collections::BTreeSet<&str> = findings.iter().map(|f| f.pod.as_str()).collect();
    let mut per_check: BTreeMap<Check, usize> = BTreeMap::new();
    for f in &findings {
        *per_check.entry(f.check).or_default() += 1;
    }
    let status = if findings.is_empty() {
        Status::Ok
    } else {
        Status::Failed
    };
    let summary = if findings.is_empty() {
        format!("audit of {ns}: every pod passes the hardening checklist")
    } else {
        format!(
            "audit of {ns}: {} findings on {} pods",
            findings.len(),
            pods.len()
        )
    };
    let by_check = per_check
        .iter()
        .map(|(c, n)| vec![format!("{c:?}"), n.to_string(), fix(*c).to_owned()]);
    let rows = findings.iter().map(|f| {
        vec![
            f.pod.clone(),
            f.container.clone().unwrap_or_else(|| "-".to_owned()),
            format!("{:?}", f.check),
        ]
    });
    Ok(Report::new(
        "audit",
        status,
        summary,
        json!({"namespace": ns.as_str(), "findings": to_value(&findings)}),
    )
    .table(
        "Failed checks",
        table(&["CHECK", "FINDINGS", "FIX"], by_check),
    )
    .table("Findings", table(&["POD", "CONTAINER", "CHECK"], rows))
    .journal(ctx.journal().entries()))
}

/// What to set to pass a check.
fn fix(check: Check) -> &'static str {
    match check {
        Check::RunAsNonRoot => "securityContext.runAsNonRoot: true",
        Check::ReadOnlyRootFilesystem => "securityContext.readOnlyRootFilesystem: true",
        Check::NoPrivilegeEscalation => "securityContext.allowPrivilegeEscalation: false",
        Check::DropAllCapabilities => "securityContext.capabilities.drop: [ALL]",
        Check::ResourceLimits => "resources.limits.cpu and .memory",
        Check::NetworkPolicyCoverage => "a NetworkPolicy selecting the pod",
        Check::NoServiceAccountToken => "automountServiceAccountToken: false",
        _ => "see the hardening checklist",
    }
}

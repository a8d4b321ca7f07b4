//! Scaling advice for slow services, per the runbook's Resolution.

use super::*;

/// Scaling advice for each slow service.
pub(super) fn advise(ctx: &Context, services: &[ServiceLatency]) -> Vec<Suggestion> {
    let policy = ctx.policy();
    let threshold = policy.p95_latency_p2.as_secs_f64();
    let cap = policy.max_replicas;
    let mut out = Vec::new();
    for s in services.iter().filter(|s| s.breach) {
        let Some(p95) = s.p95_seconds else { continue };
        let target = s.service.qualified();
        let why = format!("p95 {p95:.2} s above {threshold:.2} s");
        match (&s.autoscaler, s.replicas) {
            (Some(a), _) if a.at_max() => match proportional(a.max.get(), p95, threshold, cap).and_then(|n| Replicas::new(n).ok()) {
                Some(to) => out.push(Suggestion::Scale {
                    command: commands::patch_hpa(&s.service.namespace, a.name.as_str(), None, Some(to)),
                    target: ScaleTarget::AutoscalerMax { deployment: s.service.clone(), autoscaler: a.name.clone(), from: a.max, to },
                    why: format!("{why}; autoscaler {} is at its max of {}", a.name, a.max),
                }),
                None => out.push(Suggestion::EscalateInfrastructure {
                    why: format!("{why}; autoscaler {} is at {} and the policy allows at most {cap} replicas", a.name, a.max),
                }),
            },
            (Some(a), _) => ctx.note(
                "no scale",
                &target,
                format!("{why}; autoscaler {} wants {} and may go up to {}: it is scaling", a.name, a.desired, a.max),
            ),
            (None, Some(r)) => match proportional(r.get(), p95, threshold, cap).and_then(|n| Replicas::new(n).ok()) {
                Some(to) => out.push(Suggestion::Scale {
                    command: commands::scale(&s.service, to),
                    target: ScaleTarget::Replicas { deployment: s.service.clone(), from: r, to },
                    why,
                }),
                None => out.push(Suggestion::EscalateInfrastructure {
                    why: format!("{why}; {target} already runs {r} replicas, the policy's max is {cap}"),
                }),
            },
            (None, None) => ctx.note("no scale", &target, format!("{why}; replicas unknown")),
        }
    }
    out
}

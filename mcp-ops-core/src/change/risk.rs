//! [`Risk`] and [`derive_risk`]: the risk a change has by itself.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ChangeSpec;
use crate::types::ImageRef;
use crate::{Error, Result};

/// The runbook's risk levels; `Low < Medium < High`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// Configuration changes: the team lead approves.
    Low,
    /// Minor releases: the engineering manager approves.
    Medium,
    /// Major releases: architecture review plus the manager.
    High,
}

impl Risk {
    /// The three levels, lowest first.
    pub const ALL: [Risk; 3] = [Risk::Low, Risk::Medium, Risk::High];
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Risk::Low => "Low",
            Risk::Medium => "Medium",
            Risk::High => "High",
        })
    }
}

impl FromStr for Risk {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Risk::Low),
            "medium" => Ok(Risk::Medium),
            "high" => Ok(Risk::High),
            _ => Err(Error::invalid(
                "risk",
                format!(
                    "{:?} is not low, medium or high",
                    s.chars().take(20).collect::<String>()
                ),
            )),
        }
    }
}

/// A derived risk and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RiskAssessment {
    /// The level.
    pub risk: Risk,
    /// Why, in one line (`minor release v1.0.0 → v1.1.0`).
    pub why: String,
}

impl RiskAssessment {
    fn new(risk: Risk, why: impl Into<String>) -> Self {
        Self {
            risk,
            why: why.into(),
        }
    }
}

/// The risk a change has by itself (fail closed):
///
/// - configuration, scaling (replicas or a node group), resources, secret rotation,
///   maintenance, quarantine → Low;
/// - an image release that is a patch or minor step from `from` → Medium;
/// - a major step, or a version that cannot be compared (no `from`, another repository,
///   a non-semver tag, a digest, a 0.x minor step) → High;
/// - a database restore, or a configuration restore (it rewrites every backed-up object of
///   a namespace) → High; a rollback → Medium;
/// - a silence (bounded, it expires by itself) and an incident action (records and
///   notifications) → Low: neither changes the platform.
///
/// ```
/// use mcp_ops_core::change::{ChangeSpec, Risk, derive_risk};
///
/// let spec = ChangeSpec::Deploy {
///     deployment: "mcp-production/mcp-typescript-api".parse()?,
///     container: "mcp-typescript-api".parse()?,
///     image: "ghcr.io/your-org/mcp-typescript-server:v1.1.0".parse()?,
///     from: Some("ghcr.io/your-org/mcp-typescript-server:v1.0.3".parse()?),
/// };
/// assert_eq!(derive_risk(&spec).risk, Risk::Medium);
/// # Ok::<(), mcp_ops_core::Error>(())
/// ```
pub fn derive_risk(spec: &ChangeSpec) -> RiskAssessment {
    match spec {
        ChangeSpec::Deploy { image, from, .. } => release_risk(image, from.as_ref()),
        ChangeSpec::Rollback { .. } => {
            RiskAssessment::new(Risk::Medium, "rollback to the previous revision")
        }
        ChangeSpec::Restore { .. } => {
            RiskAssessment::new(Risk::High, "database restore replaces data")
        }
        ChangeSpec::Scale { .. } => RiskAssessment::new(Risk::Low, "scaling (configuration)"),
        ChangeSpec::Autoscaler { .. } => {
            RiskAssessment::new(Risk::Low, "scaling: autoscaler bounds (configuration)")
        }
        ChangeSpec::Resources { .. } => {
            RiskAssessment::new(Risk::Low, "resource requests/limits (configuration)")
        }
        ChangeSpec::RotateSecret { .. } => {
            RiskAssessment::new(Risk::Low, "secret rotation (configuration)")
        }
        ChangeSpec::Maintenance { .. } => RiskAssessment::new(Risk::Low, "database maintenance"),
        ChangeSpec::Quarantine { .. } => {
            RiskAssessment::new(Risk::Low, "pod quarantine (network policy)")
        }
        ChangeSpec::NodeGroup { .. } => {
            RiskAssessment::new(Risk::Low, "node group scaling (capacity)")
        }
        ChangeSpec::RestoreConfig { namespace, .. } => RiskAssessment::new(
            Risk::High,
            format!(
                "configuration restore rewrites every object of namespace {namespace} the \
                 backup holds (Deployments, ConfigMaps, Secrets …), each created or replaced \
                 with the backup's values"
            ),
        ),
        // A silence changes nothing on the platform and is bounded (a week at most, it ends
        // by itself); what it risks is a missed page for that alert, the same risk the
        // runbook accepts when on-call silences a known alert without approval.
        ChangeSpec::Silence { alertname, minutes } => RiskAssessment::new(
            Risk::Low,
            format!(
                "silence of alert {alertname} for {minutes} min (no platform change; it \
                 expires by itself)"
            ),
        ),
        // Incident actions are records and notifications: nothing on the platform changes,
        // and each can be followed by another (an update corrects an update, a wrong
        // incident is resolved).
        ChangeSpec::Incident { action } => RiskAssessment::new(
            Risk::Low,
            format!(
                "incident bookkeeping: {} (records and notifications; no platform change)",
                action.verb()
            ),
        ),
    }
}

fn release_risk(image: &ImageRef, from: Option<&ImageRef>) -> RiskAssessment {
    let high = |why: String| RiskAssessment::new(Risk::High, why);
    let Some(from) = from else {
        return high(format!(
            "release of {image} with no running image to compare with"
        ));
    };
    if image.name() != from.name() {
        return high(format!(
            "image changes from {} to {}",
            from.name(),
            image.name()
        ));
    }
    if image.is_pinned() || from.is_pinned() {
        return high(format!(
            "release {from} → {image} is pinned by digest; its version cannot be compared"
        ));
    }
    let (Some(new_tag), Some(old_tag)) = (image.tag(), from.tag()) else {
        return high(format!("release {from} → {image} has no tag to compare"));
    };
    let (Some(new), Some(old)) = (Version::parse(new_tag), Version::parse(old_tag)) else {
        return high(format!(
            "release {old_tag} → {new_tag} is not semantic versioning; it cannot be compared"
        ));
    };
    let step = format!("{old_tag} → {new_tag}");
    if new.major != old.major {
        high(format!("major release {step}"))
    } else if new.major == 0 && new.minor != old.minor {
        high(format!("0.x minor release {step} (breaking under semver)"))
    } else if new.minor != old.minor {
        RiskAssessment::new(Risk::Medium, format!("minor release {step}"))
    } else {
        RiskAssessment::new(Risk::Medium, format!("patch release {step}"))
    }
}

/// `MAJOR.MINOR.PATCH` with an optional leading `v` and optional `-pre`/`+build`.
#[derive(Debug, PartialEq, Eq)]
struct Version {
    major: u64,
    minor: u64,
}

impl Version {
    fn parse(tag: &str) -> Option<Self> {
        let t = tag.strip_prefix(['v', 'V']).unwrap_or(tag);
        let core = t.split(['-', '+']).next()?;
        let mut parts = core.split('.');
        let mut number = || -> Option<u64> {
            let p = parts.next()?;
            let leading_zero = p.len() > 1 && p.starts_with('0');
            if p.is_empty() || leading_zero || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            p.parse().ok()
        };
        let (major, minor, _patch) = (number()?, number()?, number()?);
        if parts.next().is_some() {
            return None;
        }
        Some(Self { major, minor })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn deploy(to: &str, from: Option<&str>) -> ChangeSpec {
        ChangeSpec::Deploy {
            deployment: "mcp-production/mcp-typescript-api".parse().unwrap(),
            container: "mcp-typescript-api".parse().unwrap(),
            image: to.parse().unwrap(),
            from: from.map(|f| f.parse().unwrap()),
        }
    }

    fn risk(to: &str, from: Option<&str>) -> Risk {
        derive_risk(&deploy(to, from)).risk
    }

    const R: &str = "ghcr.io/your-org/mcp-typescript-server";

    #[test]
    fn semver_steps() {
        let r = |to: &str, from: &str| risk(&format!("{R}:{to}"), Some(&format!("{R}:{from}")));
        assert_eq!(r("v1.0.1", "v1.0.0"), Risk::Medium);
        assert_eq!(r("v1.1.0", "v1.0.9"), Risk::Medium);
        assert_eq!(r("1.2.0", "v1.1.0"), Risk::Medium);
        assert_eq!(r("v1.0.0", "v1.0.0"), Risk::Medium);
        assert_eq!(r("v1.0.0", "v1.2.0"), Risk::Medium);
        assert_eq!(r("v2.0.0", "v1.9.9"), Risk::High);
        assert_eq!(r("v1.0.0", "v2.0.0"), Risk::High);
        assert_eq!(r("v1.0.0-rc.1", "v0.9.0"), Risk::High);
        assert_eq!(r("v1.0.1-rc.1", "v1.0.0"), Risk::Medium);
        assert_eq!(r("v1.0.1-build.7", "v1.0.0"), Risk::Medium);
        assert_eq!(r("v0.3.0", "v0.2.5"), Risk::High);
        assert_eq!(r("v0.2.6", "v0.2.5"), Risk::Medium);
    }

    #[test]
    fn what_cannot_be_compared_is_high() {
        let r = |to: &str, from: &str| risk(&format!("{R}:{to}"), Some(&format!("{R}:{from}")));
        assert_eq!(r("latest", "v1.0.0"), Risk::High);
        assert_eq!(r("v1.0.1", "latest"), Risk::High);
        assert_eq!(r("v1.1", "v1.0"), Risk::High);
        assert_eq!(r("v1.0.1.2", "v1.0.1"), Risk::High);
        assert_eq!(r("v01.0.1", "v1.0.0"), Risk::High);
        assert_eq!(r("v1.0.x", "v1.0.0"), Risk::High);
        assert_eq!(r("v99999999999999999999.0.0", "v1.0.0"), Risk::High);
        assert_eq!(risk(&format!("{R}:v1.0.1"), None), Risk::High);
        assert_eq!(risk(R, Some(&format!("{R}:v1.0.0"))), Risk::High);
        let digest = format!("{R}@sha256:{}", "a".repeat(64));
        assert_eq!(risk(&digest, Some(&format!("{R}:v1.0.0"))), Risk::High);
        let tag_and_digest = format!("{R}:v1.0.1@sha256:{}", "b".repeat(64));
        assert_eq!(
            risk(&tag_and_digest, Some(&format!("{R}:v1.0.0"))),
            Risk::High
        );
        assert_eq!(
            risk("ghcr.io/other/server:v1.0.1", Some(&format!("{R}:v1.0.0"))),
            Risk::High
        );
        let why = derive_risk(&deploy(
            &format!("{R}:latest"),
            Some(&format!("{R}:v1.0.0")),
        ))
        .why;
        assert!(why.contains("not semantic versioning"), "{why}");
    }

    #[test]
    fn other_kinds() {
        let d: crate::types::DeploymentRef = "mcp-production/api".parse().unwrap();
        let low = [
            ChangeSpec::Scale {
                deployment: d.clone(),
                replicas: crate::types::Replicas::new(5).unwrap(),
            },
            ChangeSpec::RotateSecret {
                namespace: "mcp-production".parse().unwrap(),
                secret: "db".parse().unwrap(),
                key: "password".into(),
            },
            ChangeSpec::Autoscaler {
                deployment: d.clone(),
                min: crate::types::Replicas::new(3).unwrap(),
                max: crate::types::Replicas::new(15).unwrap(),
            },
            ChangeSpec::Maintenance {
                database: "mcp".into(),
            },
            ChangeSpec::Quarantine {
                namespace: "mcp-production".parse().unwrap(),
                pod: "api-1".parse().unwrap(),
                release: false,
            },
        ];
        for s in &low {
            assert_eq!(derive_risk(s).risk, Risk::Low, "{s:?}");
        }
        assert_eq!(
            derive_risk(&ChangeSpec::Rollback { deployment: d }).risk,
            Risk::Medium
        );
        let restore = ChangeSpec::Restore {
            backup: crate::BackupId::new("b-1").unwrap(),
            database: "mcp".into(),
        };
        assert_eq!(derive_risk(&restore).risk, Risk::High);
    }

    #[test]
    fn node_groups_are_low_and_configuration_restores_high() {
        let nodes = |n: u32| ChangeSpec::NodeGroup {
            cluster: "mcp-production".into(),
            group: "worker-nodes".into(),
            nodes: n,
        };
        assert_eq!(derive_risk(&nodes(5)).risk, Risk::Low);
        assert_eq!(nodes(5).kind().to_string(), "Node scaling");
        assert_eq!(
            nodes(5).targets(),
            vec!["node group mcp-production/worker-nodes".to_owned()]
        );
        assert_eq!(
            nodes(5).summary(),
            "scale node group mcp-production/worker-nodes to 5 nodes"
        );
        assert!(nodes(5).differences(&nodes(5)).is_empty());
        let diff = nodes(5).differences(&nodes(6));
        assert_eq!(diff.len(), 1);
        assert_eq!(diff[0].to_string(), "nodes: approved 5, planned 6");
        assert!(nodes(5).validate().is_ok());
        let bad = ChangeSpec::NodeGroup {
            cluster: "mcp production".into(),
            group: "worker-nodes".into(),
            nodes: 5,
        };
        assert!(bad.validate().is_err());

        let config = |id: &str, ns: &str| ChangeSpec::RestoreConfig {
            backup: crate::BackupId::new(id).unwrap(),
            namespace: ns.parse().unwrap(),
        };
        let a = config("config-1", "mcp-production");
        let assessed = derive_risk(&a);
        assert_eq!(assessed.risk, Risk::High);
        assert!(
            assessed
                .why
                .contains("every object of namespace mcp-production"),
            "{}",
            assessed.why
        );
        assert_eq!(a.kind().to_string(), "Configuration restore");
        assert_eq!(
            a.targets(),
            vec![
                "backup config-1".to_owned(),
                "namespace mcp-production".to_owned()
            ]
        );
        let fields: Vec<_> = a
            .differences(&config("config-2", "mcp-staging"))
            .iter()
            .map(|d| d.field)
            .collect();
        assert_eq!(fields, ["backup", "namespace"]);
        assert_eq!(a.differences(&nodes(5))[0].field, "type");
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["type"], "restore_config");
        assert_eq!(serde_json::from_value::<ChangeSpec>(json).unwrap(), a);
        assert_eq!(
            serde_json::to_value(nodes(5)).unwrap()["type"],
            "node_group"
        );
    }

    #[test]
    fn risk_text_forms() {
        assert!(Risk::Low < Risk::Medium && Risk::Medium < Risk::High);
        assert_eq!(serde_json::to_string(&Risk::High).unwrap(), "\"high\"");
        assert_eq!(Risk::Medium.to_string(), "Medium");
        assert_eq!("HIGH".parse::<Risk>().unwrap(), Risk::High);
        assert!("urgent".parse::<Risk>().is_err());
    }
}

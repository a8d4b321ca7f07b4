//! Container resources: [`ResourceList`] and [`ResourceRequirements`] (requests ≤ limits).

use serde::{Deserialize, Serialize};

use super::Quantity;
use crate::{Error, Result};

/// Amounts of CPU and memory; a missing entry means "not set".
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResourceList {
    /// CPU in cores (`500m`, `2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Quantity>,
    /// Memory in bytes (`1Gi`, `24Mi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Quantity>,
}

impl ResourceList {
    /// A list with both CPU and memory set.
    pub fn new(cpu: Quantity, memory: Quantity) -> Self {
        Self {
            cpu: Some(cpu),
            memory: Some(memory),
        }
    }

    /// Whether neither CPU nor memory is set.
    pub fn is_empty(&self) -> bool {
        self.cpu.is_none() && self.memory.is_none()
    }
}

/// The requests and limits of a container, checked so that no request exceeds its limit and
/// no amount is negative (the API server refuses both).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawRequirements")]
pub struct ResourceRequirements {
    requests: ResourceList,
    limits: ResourceList,
}

#[derive(Deserialize)]
struct RawRequirements {
    #[serde(default)]
    requests: ResourceList,
    #[serde(default)]
    limits: ResourceList,
}

impl TryFrom<RawRequirements> for ResourceRequirements {
    type Error = Error;
    fn try_from(raw: RawRequirements) -> Result<Self> {
        Self::new(raw.requests, raw.limits)
    }
}

impl ResourceRequirements {
    /// Validates that every amount is ≥ 0 and, where both are set, request ≤ limit.
    pub fn new(requests: ResourceList, limits: ResourceList) -> Result<Self> {
        let pairs = [
            ("cpu", &requests.cpu, &limits.cpu),
            ("memory", &requests.memory, &limits.memory),
        ];
        for (name, req, lim) in pairs {
            for (kind, q) in [("request", req), ("limit", lim)] {
                if let Some(q) = q
                    && q.is_negative()
                {
                    return Err(Error::invalid(
                        "resources",
                        format!("{name} {kind} {q} is negative"),
                    ));
                }
            }
            if let (Some(r), Some(l)) = (req, lim)
                && r > l
            {
                return Err(Error::invalid(
                    "resources",
                    format!("{name} request {r} is greater than its limit {l}"),
                ));
            }
        }
        Ok(Self { requests, limits })
    }

    /// Requirements to *set* on a container (vertical scaling): as [`new`](Self::new), and
    /// every amount given must be one a container can run with — CPU at least `1m` and a
    /// whole number of millicores, memory at least one byte and a whole number of bytes
    /// (`0`, `0.5`, `1m` of memory, `1n` of CPU are refused). Reading an existing
    /// container's resources uses [`new`](Self::new), which accepts what the API server
    /// stored.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (field `resources`) naming the amount and the rule.
    pub fn for_change(requests: ResourceList, limits: ResourceList) -> Result<Self> {
        // The amounts first: `0.5` of memory is refused as such, not as "above its request".
        let unchecked = Self { requests, limits };
        unchecked.check_for_change()?;
        Self::new(unchecked.requests, unchecked.limits)
    }

    /// The checks of [`for_change`](Self::for_change) on existing requirements.
    ///
    /// # Errors
    /// As [`for_change`](Self::for_change).
    pub fn check_for_change(&self) -> Result<()> {
        for (kind, list) in [("request", &self.requests), ("limit", &self.limits)] {
            if let Some(q) = &list.cpu
                && (q.is_zero() || !q.is_whole_millis())
            {
                return Err(Error::invalid(
                    "resources",
                    format!("cpu {kind} {q} must be at least 1m and a whole number of millicores"),
                ));
            }
            if let Some(q) = &list.memory
                && (q.is_zero() || !q.is_whole_units())
            {
                return Err(Error::invalid(
                    "resources",
                    format!(
                        "memory {kind} {q} must be at least one byte and a whole number of bytes (e.g. 512Mi, 1Gi)"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The runbook's vertical scaling numbers for `mcp-typescript-api`: requests CPU `500m`,
    /// memory `1Gi`; limits CPU `2000m`, memory `4Gi`.
    pub fn runbook_typescript_api() -> Self {
        Self {
            requests: ResourceList::new(Quantity::from_millis(500), Quantity::from_bytes(1 << 30)),
            limits: ResourceList::new(Quantity::from_millis(2000), Quantity::from_bytes(4 << 30)),
        }
    }

    /// What the container is guaranteed (used for scheduling).
    pub fn requests(&self) -> &ResourceList {
        &self.requests
    }

    /// The most the container may use.
    pub fn limits(&self) -> &ResourceList {
        &self.limits
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn list(cpu: Option<&str>, mem: Option<&str>) -> ResourceList {
        ResourceList {
            cpu: cpu.map(|s| s.parse().unwrap()),
            memory: mem.map(|s| s.parse().unwrap()),
        }
    }

    #[test]
    fn runbook_numbers() {
        let r = ResourceRequirements::runbook_typescript_api();
        assert_eq!(r.requests(), &list(Some("500m"), Some("1Gi")));
        assert_eq!(r.limits(), &list(Some("2000m"), Some("4Gi")));
        assert_eq!(
            ResourceRequirements::new(r.requests().clone(), r.limits().clone()).unwrap(),
            r
        );
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            json,
            r#"{"requests":{"cpu":"500m","memory":"1Gi"},"limits":{"cpu":"2","memory":"4Gi"}}"#
        );
        assert_eq!(
            serde_json::from_str::<ResourceRequirements>(&json).unwrap(),
            r
        );
    }

    #[test]
    fn good_requirements() {
        let good = [
            (list(None, None), list(None, None)),
            (list(Some("1"), None), list(Some("1000m"), None)),
            (list(Some("500m"), Some("1Gi")), list(None, None)),
            (list(None, None), list(Some("2"), Some("4Gi"))),
            (list(Some("0"), Some("0")), list(Some("0"), Some("0"))),
            (
                list(Some("1"), Some("1000Mi")),
                list(Some("2"), Some("1Gi")),
            ),
        ];
        for (req, lim) in good {
            assert!(
                ResourceRequirements::new(req.clone(), lim.clone()).is_ok(),
                "{req:?} {lim:?}"
            );
        }
    }

    #[test]
    fn bad_requirements() {
        let bad = [
            (list(Some("2001m"), None), list(Some("2"), None)),
            (list(None, Some("1Gi")), list(None, Some("1000Mi"))),
            (list(Some("1n"), None), list(Some("0"), None)),
            (list(None, Some("4097Mi")), list(None, Some("4Gi"))),
            (list(Some("-1"), None), list(None, None)),
            (list(None, Some("-1Gi")), list(None, None)),
            (list(None, None), list(Some("-500m"), None)),
            (list(None, None), list(None, Some("-1"))),
            (list(Some("-2"), None), list(Some("-1"), None)),
            (list(Some("1"), Some("5Gi")), list(Some("2"), Some("4Gi"))),
            (list(Some("3"), Some("1Gi")), list(Some("2"), Some("4Gi"))),
        ];
        for (req, lim) in bad {
            assert!(
                ResourceRequirements::new(req.clone(), lim.clone()).is_err(),
                "{req:?} {lim:?}"
            );
        }
        let e =
            ResourceRequirements::new(list(Some("3"), None), list(Some("2"), None)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid resources: cpu request 3 is greater than its limit 2"
        );
    }

    #[test]
    fn deserialize_validates() {
        let bad = r#"{"requests":{"cpu":"3"},"limits":{"cpu":"2"}}"#;
        assert!(serde_json::from_str::<ResourceRequirements>(bad).is_err());
        let partial: ResourceRequirements =
            serde_json::from_str(r#"{"limits":{"memory":"1Gi"}}"#).unwrap();
        assert!(partial.requests().is_empty());
    }
}

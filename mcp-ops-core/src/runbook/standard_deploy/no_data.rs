//! What a deployment does when its bake measured nothing: the no-data policy.
//!
//! A bake is *inconclusive* when it lacks evidence: no metric data (Prometheus down, frozen or
//! not configured, no series for the service) in enough of its samples, or the deployment's
//! own pods could not be read (the API server lost mid-bake). An inconclusive bake is never a
//! pass: the policy decides whether the new revision is undone, left running and reported as
//! a failure, or left running and reported as a success — and in every case the report says
//! "deployed without verification".

use serde::{Deserialize, Serialize};

/// What to do with a deployment whose bake was inconclusive (see the module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoDataPolicy {
    /// Undo the rollout as for a breach (and open the rollback's incident).
    Rollback,
    /// Leave the new revision running and report a failure (the default: no evidence is not
    /// a success; a person decides).
    #[default]
    Hold,
    /// Leave the new revision running and report success, still marked "deployed without
    /// verification".
    Accept,
}

impl NoDataPolicy {
    /// The policy's name (`rollback`, `hold`, `accept`), as the CLI's `--on-no-data` takes it.
    pub fn as_str(&self) -> &'static str {
        match self {
            NoDataPolicy::Rollback => "rollback",
            NoDataPolicy::Hold => "hold",
            NoDataPolicy::Accept => "accept",
        }
    }
}

impl std::fmt::Display for NoDataPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for NoDataPolicy {
    type Err = crate::Error;

    /// `rollback`, `hold` or `accept`.
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "rollback" => Ok(NoDataPolicy::Rollback),
            "hold" => Ok(NoDataPolicy::Hold),
            "accept" => Ok(NoDataPolicy::Accept),
            other => Err(crate::Error::invalid(
                "on_no_data",
                format!("{other:?}: expected rollback, hold or accept"),
            )),
        }
    }
}

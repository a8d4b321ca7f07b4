//! A sample change request for tests (feature `testing`, and core's own unit tests).

use std::time::Duration;

use jiff::Timestamp;

use crate::Result;
use crate::change::{Approval, ChangeDraft, ChangeRequest, ChangeSpec, ChangeWindow, TeamRole};

/// The runbook's patch release as a draft: `mcp-production/mcp-typescript-api` from
/// `v1.0.0` to `v1.0.1` of `ghcr.io/your-org/mcp-typescript-server` (Medium risk),
/// requested by `oncall` with `description`, open for 30 minutes from `start`, rolled back
/// by `kubectl rollout undo`.
///
/// # Panics
/// Never: every value is a valid constant.
#[allow(clippy::expect_used)]
pub fn sample_deploy_draft(start: Timestamp, description: &str) -> ChangeDraft {
    let image = |tag: &str| {
        format!("ghcr.io/your-org/mcp-typescript-server:{tag}")
            .parse()
            .expect("a valid image")
    };
    ChangeDraft {
        spec: ChangeSpec::Deploy {
            deployment: "mcp-production/mcp-typescript-api"
                .parse()
                .expect("a valid deployment"),
            container: "mcp-typescript-api".parse().expect("a valid container"),
            image: image("v1.0.1"),
            from: Some(image("v1.0.0")),
        },
        window: ChangeWindow::new(start, Duration::from_secs(1800)).expect("a valid window"),
        rollback_plan: "kubectl rollout undo".to_owned(),
        description: description.to_owned(),
        requester: "oncall".to_owned(),
        requested_risk: None,
    }
}

/// `cr` with the engineering manager's approval at `at` (of its current digest), in the
/// shape [`ChangeStore::modify`](crate::change::ChangeStore::modify) takes.
///
/// # Errors
/// Never; the `Result` is the one `modify` wants.
pub fn sample_manager_approval(mut cr: ChangeRequest, at: Timestamp) -> Result<ChangeRequest> {
    let digest = cr.digest();
    cr.approvals.push(Approval {
        by: "engineering-manager".into(),
        role: TeamRole::EngineeringManager,
        at,
        comment: None,
        digest,
    });
    Ok(cr)
}

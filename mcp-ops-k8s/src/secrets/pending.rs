//! Unfinished rotations: a value staged in `NAME-staged` and never applied, or a value applied
//! whose rotation annotation still says `unverified` (neither finished nor reverted).

use k8s_openapi::api::core::v1::Secret;
use mcp_ops_core::secrets::{PendingRotation, SecretKeyRef, SecretVersion};
use mcp_ops_core::types::Intent;
use mcp_ops_core::{Error, Result};
use serde_json::json;

use super::{ROTATION_ANNOTATION, previous_name, states, value_of, version};
use crate::cluster::{Change, Decision, KubeCluster};
use crate::error::malformed;

/// `Conflict` when the last rotation of `target` was applied and never finished: its
/// previous value (which pods may still use) must not be overwritten.
pub(super) fn refuse_unfinished(main: &Secret, target: &SecretKeyRef) -> Result<()> {
    if states(main).get(target.key()).is_some_and(|k| k.unverified) {
        return Err(Error::conflict(
            target.to_string(),
            "the last rotation was applied and never finished: run `ops rotate-secret … --resume` to restart the dependents and verify it, or `--abort` to put the previous value back",
        ));
    }
    Ok(())
}

impl KubeCluster {
    pub(super) async fn pending_of(
        &self,
        target: &SecretKeyRef,
    ) -> Result<Option<PendingRotation>> {
        let (main, cur) = self.current_of(target).await?;
        let current = version(&main, target.key(), &cur);
        if let Some(staged) = self.staged_of(target).await? {
            return Ok(Some(PendingRotation::Staged {
                staged: SecretVersion {
                    version: current.version + 1,
                    fingerprint: staged.fingerprint(),
                    since: None,
                },
            }));
        }
        if !states(&main)
            .get(target.key())
            .is_some_and(|k| k.unverified)
        {
            return Ok(None);
        }
        let previous = self
            .secret(target.namespace().as_str(), &previous_name(target))
            .await?
            .and_then(|s| value_of(&s, target.key()))
            .map(|v| SecretVersion {
                version: current.version.saturating_sub(1).max(1),
                fingerprint: v.fingerprint(),
                since: None,
            });
        Ok(Some(PendingRotation::Applied { current, previous }))
    }

    /// Clears the key's `unverified` mark (conditional on the Secret as read).
    pub(super) async fn finish_of(&self, target: &SecretKeyRef, intent: &Intent) -> Result<()> {
        self.current_of(target).await?;
        if self.staged_of(target).await?.is_some() {
            return Err(Error::conflict(
                target.to_string(),
                "a value is staged and not applied: nothing to finish",
            ));
        }
        self.read_modify_write(
            "secret",
            target.namespace().as_str(),
            target.name().as_str(),
            intent.is_dry_run(),
            |main: Secret| {
                let decided = finish_change(&main, target);
                async move { decided }
            },
        )
        .await?;
        tracing::info!(target = %target, reason = intent.reason(), "rotation finished");
        Ok(())
    }
}

fn finish_change(main: &Secret, target: &SecretKeyRef) -> Result<Decision<()>> {
    let mut st = states(main);
    match st.get_mut(target.key()) {
        Some(k) if k.unverified => k.unverified = false,
        _ => return Ok(Decision::Done(())),
    }
    let ann = serde_json::to_string(&st).map_err(|e| malformed(e.to_string()))?;
    Ok(Decision::Write(
        Change::Merge(json!({"metadata": {"annotations": {ROTATION_ANNOTATION: ann}}})),
        (),
    ))
}

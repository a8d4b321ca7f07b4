//! `SecretRotator` on the mock cluster: versioned secret keys.

use async_trait::async_trait;

use super::MockCluster;
use super::state::SecretKeyState;
use crate::error::{Error, Result};
use crate::secrets::{
    PendingRotation, SecretCheck, SecretKeyRef, SecretRotator, SecretVersion, StagedSecret,
};
use crate::types::{Intent, SecretValue};

fn skey(t: &SecretKeyRef) -> (String, String, String) {
    (
        t.namespace().as_str().to_owned(),
        t.name().as_str().to_owned(),
        t.key().to_owned(),
    )
}

fn version(k: &SecretKeyState, index: usize) -> SecretVersion {
    SecretVersion {
        version: index as u64 + 1,
        fingerprint: k
            .versions
            .get(index)
            .map(SecretValue::fingerprint)
            .unwrap_or_default(),
        since: if index == k.current { k.since } else { None },
    }
}

impl MockCluster {
    fn with_key<T>(
        &self,
        target: &SecretKeyRef,
        f: impl FnOnce(&mut SecretKeyState) -> Result<T>,
    ) -> Result<T> {
        let mut s = self.lock();
        let k = s
            .secrets
            .get_mut(&skey(target))
            .ok_or_else(|| Error::not_found("secret key", target.to_string()))?;
        f(k)
    }
}

#[async_trait]
impl SecretRotator for MockCluster {
    fn backend(&self) -> &'static str {
        "mock-cluster"
    }

    async fn current(&self, target: &SecretKeyRef) -> Result<SecretVersion> {
        self.faults
            .read("secret_current", target.to_string())
            .await?;
        self.with_key(target, |k| Ok(version(k, k.current)))
    }

    async fn stage(
        &self,
        target: &SecretKeyRef,
        value: &SecretValue,
        intent: &Intent,
    ) -> Result<StagedSecret> {
        self.faults
            .write("secret_stage", target.to_string(), intent.is_dry_run())
            .await?;
        self.with_key(target, |k| {
            if k.staged.is_some() {
                return Err(Error::conflict(
                    target.to_string(),
                    "a version is already staged; apply or revert it first",
                ));
            }
            if k.unverified {
                return Err(Error::conflict(
                    target.to_string(),
                    "the last rotation was applied and never finished; resume or abort it first",
                ));
            }
            let current = version(k, k.current);
            let staged = SecretVersion {
                version: k.versions.len() as u64 + 1,
                fingerprint: value.fingerprint(),
                since: None,
            };
            if !intent.is_dry_run() {
                k.versions.push(value.clone());
                k.staged = Some(k.versions.len() - 1);
            }
            Ok(StagedSecret {
                target: target.clone(),
                current,
                staged,
                dry_run: intent.is_dry_run(),
            })
        })
    }

    async fn apply(&self, target: &SecretKeyRef, intent: &Intent) -> Result<SecretVersion> {
        self.faults
            .write("secret_apply", target.to_string(), intent.is_dry_run())
            .await?;
        let now = self.now();
        self.with_key(target, |k| {
            let staged = k
                .staged
                .ok_or_else(|| Error::conflict(target.to_string(), "nothing is staged"))?;
            if intent.is_dry_run() {
                return Ok(version(k, staged));
            }
            k.previous = Some(k.current);
            k.current = staged;
            k.staged = None;
            k.since = Some(now);
            k.unverified = true;
            Ok(version(k, k.current))
        })
    }

    async fn verify(&self, target: &SecretKeyRef) -> Result<SecretCheck> {
        self.faults
            .read("secret_verify", target.to_string())
            .await?;
        self.with_key(target, |_| Ok(SecretCheck::NotApplicable))
    }

    async fn revert(&self, target: &SecretKeyRef, intent: &Intent) -> Result<SecretVersion> {
        self.faults
            .write("secret_revert", target.to_string(), intent.is_dry_run())
            .await?;
        let now = self.now();
        self.with_key(target, |k| {
            if let Some(staged) = k.staged {
                // Reverting a staged, never applied value just drops it.
                if !intent.is_dry_run() {
                    k.staged = None;
                    k.versions.truncate(staged);
                }
                return Ok(version(k, k.current));
            }
            let previous = k.previous.ok_or_else(|| {
                Error::conflict(
                    target.to_string(),
                    "there is no previous version to go back to",
                )
            })?;
            if !intent.is_dry_run() {
                k.current = previous;
                k.previous = None;
                k.since = Some(now);
                k.unverified = false;
            }
            Ok(version(k, previous))
        })
    }

    async fn pending(&self, target: &SecretKeyRef) -> Result<Option<PendingRotation>> {
        self.faults
            .read("secret_pending", target.to_string())
            .await?;
        self.with_key(target, |k| {
            Ok(match (k.staged, k.unverified) {
                (Some(staged), _) => Some(PendingRotation::Staged {
                    staged: version(k, staged),
                }),
                (None, true) => Some(PendingRotation::Applied {
                    current: version(k, k.current),
                    previous: k.previous.map(|p| version(k, p)),
                }),
                (None, false) => None,
            })
        })
    }

    async fn finish(&self, target: &SecretKeyRef, intent: &Intent) -> Result<()> {
        self.faults
            .write("secret_finish", target.to_string(), intent.is_dry_run())
            .await?;
        self.with_key(target, |k| {
            if k.staged.is_some() {
                return Err(Error::conflict(
                    target.to_string(),
                    "a value is staged and not applied: nothing to finish",
                ));
            }
            if !intent.is_dry_run() {
                k.unverified = false;
            }
            Ok(())
        })
    }
}

//! What `set image` and `rollout restart` write, decided from the Deployment as read (the
//! caller sends it conditional on that read, see `cluster::rmw`).

use k8s_openapi::api::apps::v1::Deployment;
use mcp_ops_core::deploy::ImageChange;
use mcp_ops_core::types::{ContainerName, DeploymentRef, ImageRef};
use mcp_ops_core::{Error, Result};
use serde_json::json;

use super::RESTARTED_AT;
use super::history::CHANGE_CAUSE;
use crate::cluster::{Change, Decision};
use crate::error::malformed;

/// Setting `container`'s image of `d` to `image`, as `kubectl set image` does (a strategic
/// merge patch keeping the container order) with the change-cause; nothing to send when the
/// image is already `image`.
///
/// # Errors
/// [`Error::NotFound`] when `d` has no such container; its current image unparsable.
pub(super) fn image_change(
    d: &Deployment,
    deployment: &DeploymentRef,
    container: &ContainerName,
    image: &ImageRef,
    cause: &str,
    dry_run: bool,
) -> Result<Decision<ImageChange>> {
    let containers = d
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .map(|s| s.containers.as_slice())
        .unwrap_or_default();
    let current = containers
        .iter()
        .find(|c| c.name == container.as_str())
        .ok_or_else(|| Error::not_found("container", format!("{deployment}/{container}")))?;
    let from = ImageRef::parse(current.image.as_deref().unwrap_or_default())
        .map_err(|_| malformed(format!("container {container} has an unparsable image")))?;
    let change = ImageChange {
        deployment: deployment.clone(),
        container: container.clone(),
        changed: from != *image,
        from,
        to: image.clone(),
        dry_run,
    };
    if !change.changed {
        return Ok(Decision::Done(change));
    }
    let order: Vec<_> = containers.iter().map(|c| json!({"name": c.name})).collect();
    let patch = json!({
        "metadata": {"annotations": {CHANGE_CAUSE: cause}},
        "spec": {"template": {"spec": {
            "$setElementOrder/containers": order,
            "containers": [{"name": container.as_str(), "image": image.to_string()}],
        }}}
    });
    Ok(Decision::Write(Change::Strategic(patch), change))
}

/// `kubectl rollout restart`: the template annotation `restartedAt` = `stamp` and the
/// change-cause; refused for a paused deployment, as kubectl refuses (before sending anything,
/// in a dry run too).
///
/// # Errors
/// [`Error::PolicyViolation`] `paused-deployment` when `d` is paused.
pub(super) fn restart_change(
    d: &Deployment,
    deployment: &DeploymentRef,
    stamp: &str,
    cause: &str,
) -> Result<Decision<()>> {
    if d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false) {
        return Err(Error::policy(
            "paused-deployment",
            format!("can't restart paused deployment {deployment} (run rollout resume first)"),
        ));
    }
    let patch = json!({
        "metadata": {"annotations": {CHANGE_CAUSE: cause}},
        "spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}
    });
    Ok(Decision::Write(Change::Strategic(patch), ()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn dep(paused: bool) -> Deployment {
        serde_json::from_value(json!({
            "metadata": {"name": "web"},
            "spec": {"paused": paused, "selector": {}, "template": {"spec": {"containers": [
                {"name": "side", "image": "side:1"}, {"name": "web", "image": "web:1"}]}}}
        }))
        .unwrap()
    }

    fn target() -> DeploymentRef {
        DeploymentRef::new("ns", "web").unwrap()
    }

    #[test]
    fn set_image_is_kubectls_patch_or_nothing() {
        let c = ContainerName::new("web").unwrap();
        let to = ImageRef::parse("web:2").unwrap();
        let Decision::Write(Change::Strategic(p), change) =
            image_change(&dep(false), &target(), &c, &to, "why", false).unwrap()
        else {
            panic!("expected a strategic patch")
        };
        assert!(change.changed && change.from.to_string() == "web:1");
        assert_eq!(
            p["spec"]["template"]["spec"]["$setElementOrder/containers"],
            json!([{"name": "side"}, {"name": "web"}])
        );
        assert_eq!(p["metadata"]["annotations"][CHANGE_CAUSE], "why");
        let same = ImageRef::parse("web:1").unwrap();
        assert!(matches!(
            image_change(&dep(false), &target(), &c, &same, "why", false).unwrap(),
            Decision::Done(ImageChange { changed: false, .. })
        ));
        let missing = ContainerName::new("nope").unwrap();
        assert!(matches!(
            image_change(&dep(false), &target(), &missing, &to, "why", false),
            Err(Error::NotFound { .. })
        ));
    }

    #[test]
    fn restart_of_a_paused_deployment_is_refused() {
        assert!(matches!(
            restart_change(&dep(true), &target(), "t", "why"),
            Err(Error::PolicyViolation { .. })
        ));
        let Decision::Write(Change::Strategic(p), ()) =
            restart_change(&dep(false), &target(), "2025-01-01T00:00:00Z", "why").unwrap()
        else {
            panic!("expected a patch")
        };
        assert_eq!(
            p["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT],
            "2025-01-01T00:00:00Z"
        );
    }
}

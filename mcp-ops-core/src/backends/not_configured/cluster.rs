//! [`NotConfigured`] as the cluster: deployments, scaling and secrets.

use std::time::Duration;

use async_trait::async_trait;

use super::NotConfigured;
use crate::deploy::{
    Deployer, DeploymentSummary, ImageChange, PodHealth, RestartReport, RevisionInfo,
    RolloutStatus, SwitchReport, TrafficSwitch, UndoReport,
};
use crate::scale::{
    AutoscalerBounds, AutoscalerStatus, BoundsChange, NodeCapacity, Recommendation, ResourceChange,
    ResourceUsage, ScaleChange, Scaler,
};
use crate::secrets::{SecretCheck, SecretKeyRef, SecretRotator, SecretVersion, StagedSecret};
use crate::types::{
    ContainerName, DeploymentRef, ImageRef, Namespace, Replicas, ResourceRequirements, Revision,
    SecretValue,
};
use crate::{Intent, Result};

#[async_trait]
impl Deployer for NotConfigured {
    fn backend(&self) -> &'static str {
        "unconfigured"
    }

    async fn deployments(&self, _namespace: &Namespace) -> Result<Vec<DeploymentSummary>> {
        Err(self.error())
    }

    async fn deployment(&self, _deployment: &DeploymentRef) -> Result<DeploymentSummary> {
        Err(self.error())
    }

    async fn set_image(
        &self,
        _deployment: &DeploymentRef,
        _container: &ContainerName,
        _image: &ImageRef,
        _intent: &Intent,
    ) -> Result<ImageChange> {
        Err(self.error())
    }

    async fn rollout_status(&self, _deployment: &DeploymentRef) -> Result<RolloutStatus> {
        Err(self.error())
    }

    async fn pod_health(&self, _deployment: &DeploymentRef) -> Result<PodHealth> {
        Err(self.error())
    }

    async fn wait_for_rollout(
        &self,
        _deployment: &DeploymentRef,
        _timeout: Duration,
    ) -> Result<RolloutStatus> {
        Err(self.error())
    }

    async fn history(&self, _deployment: &DeploymentRef) -> Result<Vec<RevisionInfo>> {
        Err(self.error())
    }

    async fn undo(
        &self,
        _deployment: &DeploymentRef,
        _to: Option<Revision>,
        _intent: &Intent,
    ) -> Result<UndoReport> {
        Err(self.error())
    }

    async fn restart(
        &self,
        _deployment: &DeploymentRef,
        _intent: &Intent,
    ) -> Result<RestartReport> {
        Err(self.error())
    }

    async fn set_paused(
        &self,
        _deployment: &DeploymentRef,
        _paused: bool,
        _intent: &Intent,
    ) -> Result<()> {
        Err(self.error())
    }

    async fn switch_traffic(
        &self,
        _switch: &TrafficSwitch,
        _intent: &Intent,
    ) -> Result<SwitchReport> {
        Err(self.error())
    }
}

#[async_trait]
impl Scaler for NotConfigured {
    fn backend(&self) -> &'static str {
        "unconfigured"
    }

    async fn replicas(&self, _deployment: &DeploymentRef) -> Result<Replicas> {
        Err(self.error())
    }

    async fn scale(
        &self,
        _deployment: &DeploymentRef,
        _to: Replicas,
        _intent: &Intent,
    ) -> Result<ScaleChange> {
        Err(self.error())
    }

    async fn autoscaler(&self, _deployment: &DeploymentRef) -> Result<Option<AutoscalerStatus>> {
        Err(self.error())
    }

    async fn set_autoscaler_bounds(
        &self,
        _deployment: &DeploymentRef,
        _bounds: AutoscalerBounds,
        _intent: &Intent,
    ) -> Result<BoundsChange> {
        Err(self.error())
    }

    async fn resources(
        &self,
        _deployment: &DeploymentRef,
        _container: &ContainerName,
    ) -> Result<ResourceRequirements> {
        Err(self.error())
    }

    async fn set_resources(
        &self,
        _deployment: &DeploymentRef,
        _container: &ContainerName,
        _resources: &ResourceRequirements,
        _intent: &Intent,
    ) -> Result<ResourceChange> {
        Err(self.error())
    }

    async fn recommendations(&self, _deployment: &DeploymentRef) -> Result<Recommendation> {
        Err(self.error())
    }

    async fn node_capacity(&self) -> Result<Vec<NodeCapacity>> {
        Err(self.error())
    }

    async fn pod_usage(&self, _namespace: &Namespace) -> Result<Vec<ResourceUsage>> {
        Err(self.error())
    }
}

#[async_trait]
impl SecretRotator for NotConfigured {
    fn backend(&self) -> &'static str {
        "unconfigured"
    }

    async fn current(&self, _target: &SecretKeyRef) -> Result<SecretVersion> {
        Err(self.error())
    }

    async fn stage(
        &self,
        _target: &SecretKeyRef,
        _value: &SecretValue,
        _intent: &Intent,
    ) -> Result<StagedSecret> {
        Err(self.error())
    }

    async fn apply(&self, _target: &SecretKeyRef, _intent: &Intent) -> Result<SecretVersion> {
        Err(self.error())
    }

    async fn verify(&self, _target: &SecretKeyRef) -> Result<SecretCheck> {
        Err(self.error())
    }

    async fn revert(&self, _target: &SecretKeyRef, _intent: &Intent) -> Result<SecretVersion> {
        Err(self.error())
    }
}

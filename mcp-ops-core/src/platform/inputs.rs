//! The inputs of the runbook procedures for a [`Platform`]: what the runbook's own
//! constructors (`TriageInput::runbook`, `DeployRequest::runbook`) give for its platform.

use super::Platform;
use crate::error::Result;
use crate::health::HttpProbe;
use crate::runbook::standard_deploy::DeployRequest;
use crate::runbook::triage::{Endpoint, NodeGroupRef, TriageInput};
use crate::types::{DeploymentRef, ImageRef};

impl Platform {
    /// Triage of the default namespace: every deployment, every health endpoint, the
    /// database and cache names and the node group; the rest as
    /// [`TriageInput::runbook`].
    pub fn triage_input(&self) -> TriageInput {
        let mut input = TriageInput::runbook();
        input.namespace = self.namespace().clone();
        input.endpoints = self
            .health
            .iter()
            .map(|h| Endpoint {
                probe: HttpProbe::new(h.name.clone(), h.url.clone()),
                served_by: h.served_by.clone(),
            })
            .collect();
        if let Some(db) = &self.database {
            input.database = db.name.clone();
        }
        if let Some(cache) = &self.cache {
            input.cache = cache.name.clone();
        }
        if let Some((cluster, name)) = &self.cluster.node_group {
            input.node_group = NodeGroupRef {
                cluster: cluster.clone(),
                name: name.clone(),
            };
        }
        input
    }

    /// A Standard Deployment of `image` to the first container of [`Platform::api`], checked
    /// against its health endpoint and the platform's database backups; the rest as
    /// [`DeployRequest::new`].
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] when the deployment has no container (a platform built
    /// by hand; a loaded one always has one).
    pub fn deploy_request(&self, image: ImageRef) -> Result<DeployRequest> {
        let api = self.api();
        let container = api
            .containers
            .first()
            .map(|c| c.name.clone())
            .ok_or_else(|| {
                crate::Error::invalid("platform", "the API deployment has no container")
            })?;
        let mut request = DeployRequest::new(api.reference.clone(), container, image);
        if let Some(h) = self.health_of(api) {
            request.health = HttpProbe::new(h.name.clone(), h.url.clone());
        }
        if let Some(db) = &self.database {
            request.backup.database = db.name.clone();
        }
        Ok(request)
    }

    /// Every deployment, in file order (an emergency rollback's default).
    pub fn deployment_refs(&self) -> Vec<DeploymentRef> {
        self.deployments
            .iter()
            .map(|d| d.reference.clone())
            .collect()
    }

    /// The first container of `deployment` (by name), for `kubectl set image`.
    pub fn container_of(&self, deployment: &DeploymentRef) -> Option<&super::Container> {
        self.deployments
            .iter()
            .find(|d| &d.reference == deployment)
            .and_then(|d| d.containers.first())
    }
}

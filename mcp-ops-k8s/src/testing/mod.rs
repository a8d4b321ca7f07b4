//! Test support for code that talks to Kubernetes (feature `testing`).
//!
//! [`ControlPlane`] runs a real Kubernetes control plane — etcd, kube-apiserver,
//! kube-controller-manager, kube-scheduler and kwok, built from Go modules by the mcp-ops repository's
//! `scripts/build-control-plane` — so tests can check against the real thing what the
//! simulator ([`crate::sim`], feature `sim`) only imitates.

mod control_plane;
mod error;
mod fixture;
mod launcher;

pub use control_plane::{ControlPlane, ControlPlaneOptions};
pub use error::ControlPlaneError;

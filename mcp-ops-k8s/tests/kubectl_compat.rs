//! Real kubectl against a SimCluster: every API command of the runbook and the fidelity list.
//! Missing kubectl is a failure (with the install command), never a skip.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;
#[path = "kubectl_compat/ops.rs"]
mod ops;
#[path = "kubectl_compat/reads.rs"]
mod reads;
#[path = "kubectl_compat/rollouts.rs"]
mod rollouts;
#[path = "kubectl_compat/support.rs"]
mod support;

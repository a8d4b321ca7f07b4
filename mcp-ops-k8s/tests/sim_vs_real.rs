//! The simulator measured against the real thing: the same operations on a SimCluster
//! (`Scenario::mcp_production()`) and on the test control plane (kube-apiserver,
//! kube-controller-manager, kube-scheduler v1.36.3 and kwok; the fixture with the same history
//! in a namespace of its own), compared after normalising what legitimately differs (namespace
//! name, generated names, uids, timestamps, ages, addresses). What still differs is either
//! fixed in the simulator or a known difference: listed in the README ("Known differences from
//! a real control plane") and pinned in `known.rs`, so a change is noticed.
//!
//! ```sh
//! export MCP_OPS_CONTROL_PLANE_BIN=$(scripts/build-control-plane)
//! export MCP_OPS_KUBECTL=$MCP_OPS_CONTROL_PLANE_BIN/kubectl
//! cargo test -p mcp-ops-k8s --features sim,testing --test sim_vs_real
//! ```
#![cfg(all(feature = "sim", feature = "testing"))]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "sim_vs_real/backends.rs"]
mod backends;
mod common;
#[path = "sim_vs_real/compare.rs"]
mod compare;
#[path = "sim_vs_real/environment.rs"]
mod environment;
#[path = "sim_vs_real/errors.rs"]
mod errors;
#[path = "sim_vs_real/events.rs"]
mod events;
#[path = "sim_vs_real/known.rs"]
mod known;
#[path = "sim_vs_real/normalise.rs"]
mod normalise;
#[path = "sim_vs_real/ops.rs"]
mod ops;
#[path = "sim_vs_real/pair.rs"]
mod pair;
#[path = "sim_vs_real/reads.rs"]
mod reads;
#[path = "sim_vs_real/rollouts.rs"]
mod rollouts;

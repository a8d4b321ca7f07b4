//! # mcp-ops-core
//!
//! Types, capability traits, policies, runbook procedures, mock backends and contract
//! suites of mcp-ops. This crate knows no backend.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod error;

pub use error::{Error, Result};

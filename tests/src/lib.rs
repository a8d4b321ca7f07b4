//! Cross-crate tests for mcp-ops live in `tests/`.

/// The workspace README's example, compiled and run as a doc test (the README is not part
/// of any published package, so this unpublished crate keeps it tested).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct WorkspaceReadmeDoctests;

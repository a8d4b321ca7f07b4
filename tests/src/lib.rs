//! Cross-crate tests for mcp-ops live in `tests/`.

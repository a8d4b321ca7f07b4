//! Runnable scenarios for mcp-ops: see `examples/`.

//! Runnable scenarios for mcp-ops and the `ops` command-line tool.
//!
//! - `examples/`: one scenario per file (`cargo run -p mcp-ops-examples --example quickstart`).
//! - `src/bin/ops/`: the `ops` binary, one subcommand per runbook procedure
//!   (`cargo run -p mcp-ops-examples --bin ops -- drill`). Without `--kubeconfig` it runs on
//!   an embedded in-memory copy of the runbook's `mcp-production` namespace, seeded anew on
//!   every run. `--output json` documents are described by the JSON Schemas in `schemas/`.

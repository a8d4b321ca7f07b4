//! PostgreSQL and Redis backends for mcp-ops: readiness, diagnostics, maintenance, verified backups and restore, credential rotation.

//! MCP resources: the runbook's sections and incidents' post-mortem timelines (filled by the
//! next commits).

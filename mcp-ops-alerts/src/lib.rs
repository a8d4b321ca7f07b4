//! Alerting backends for mcp-ops: Prometheus analysis, Alertmanager v2, Slack / PagerDuty / email notifiers and the Escalator engine.

//! [`MockAlerting`]: in-memory escalation engine, alert store and notifiers (placeholder being written).

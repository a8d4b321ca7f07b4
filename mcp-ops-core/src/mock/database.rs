//! [`MockDatabase`]: in-memory PostgreSQL and Redis stand-ins (placeholder being written).

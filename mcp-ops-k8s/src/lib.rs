//! Kubernetes backends for mcp-ops (health, deployer, scaler, backups, secret rotation) and `sim`, a simulated Kubernetes API server.

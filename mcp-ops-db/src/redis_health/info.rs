//! `INFO memory`, `INFO clients` and `INFO replication` parsed into structs.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// `key:value` lines of an INFO reply (section headers and blank lines skipped).
pub(crate) fn fields(info: &str) -> HashMap<&str, &str> {
    info.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.trim_end_matches('\r').split_once(':'))
        .collect()
}

fn num<T: std::str::FromStr>(f: &HashMap<&str, &str>, key: &str) -> Option<T> {
    f.get(key).and_then(|v| v.trim().parse().ok())
}

fn text(f: &HashMap<&str, &str>, key: &str) -> Option<String> {
    f.get(key).map(|v| v.trim().to_owned())
}

/// `INFO memory`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryInfo {
    /// `used_memory` in bytes.
    pub used_memory: Option<u64>,
    /// `used_memory_rss` in bytes.
    pub used_memory_rss: Option<u64>,
    /// `used_memory_peak` in bytes.
    pub used_memory_peak: Option<u64>,
    /// `maxmemory` in bytes (0 = no limit).
    pub maxmemory: Option<u64>,
    /// `maxmemory_policy`, e.g. `noeviction`.
    pub maxmemory_policy: Option<String>,
    /// `mem_fragmentation_ratio`.
    pub mem_fragmentation_ratio: Option<f64>,
}

impl MemoryInfo {
    /// Parses an `INFO memory` reply.
    pub fn parse(info: &str) -> Self {
        let f = fields(info);
        Self {
            used_memory: num(&f, "used_memory"),
            used_memory_rss: num(&f, "used_memory_rss"),
            used_memory_peak: num(&f, "used_memory_peak"),
            maxmemory: num(&f, "maxmemory"),
            maxmemory_policy: text(&f, "maxmemory_policy"),
            mem_fragmentation_ratio: num(&f, "mem_fragmentation_ratio"),
        }
    }

    /// `used_memory / maxmemory` when a limit is set.
    pub fn utilization(&self) -> Option<f64> {
        match (self.used_memory, self.maxmemory) {
            (Some(used), Some(max)) if max > 0 => Some(used as f64 / max as f64),
            _ => None,
        }
    }
}

/// `INFO clients`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientsInfo {
    /// `connected_clients`.
    pub connected_clients: Option<u64>,
    /// `blocked_clients`.
    pub blocked_clients: Option<u64>,
    /// `maxclients` (Redis 7+ reports it here).
    pub maxclients: Option<u64>,
}

impl ClientsInfo {
    /// Parses an `INFO clients` reply.
    pub fn parse(info: &str) -> Self {
        let f = fields(info);
        Self {
            connected_clients: num(&f, "connected_clients"),
            blocked_clients: num(&f, "blocked_clients"),
            maxclients: num(&f, "maxclients"),
        }
    }
}

/// `INFO replication`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicationInfo {
    /// `master` or `slave`.
    pub role: Option<String>,
    /// `connected_slaves` (on a primary).
    pub connected_replicas: Option<u64>,
    /// `master_host` (on a replica).
    pub master_host: Option<String>,
    /// `master_link_status`: `up` or `down` (on a replica).
    pub master_link_status: Option<String>,
    /// `master_repl_offset`.
    pub repl_offset: Option<i64>,
}

impl ReplicationInfo {
    /// Parses an `INFO replication` reply.
    pub fn parse(info: &str) -> Self {
        let f = fields(info);
        Self {
            role: text(&f, "role"),
            connected_replicas: num(&f, "connected_slaves"),
            master_host: text(&f, "master_host"),
            master_link_status: text(&f, "master_link_status"),
            repl_offset: num(&f, "master_repl_offset"),
        }
    }

    /// Whether this is a replica whose link to the primary is down.
    pub fn link_down(&self) -> bool {
        self.role.as_deref() == Some("slave") && self.master_link_status.as_deref() != Some("up")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_info_sections() {
        let mem = "# Memory\r\nused_memory:1048576\r\nused_memory_rss:2097152\r\nmaxmemory:4194304\r\n\
                   maxmemory_policy:allkeys-lru\r\nmem_fragmentation_ratio:2.00\r\n";
        let m = MemoryInfo::parse(mem);
        assert_eq!(m.used_memory, Some(1_048_576));
        assert_eq!(m.maxmemory_policy.as_deref(), Some("allkeys-lru"));
        assert_eq!(m.utilization(), Some(0.25));
        assert_eq!(m.mem_fragmentation_ratio, Some(2.0));
        let c = ClientsInfo::parse(
            "# Clients\nconnected_clients:3\nblocked_clients:1\nmaxclients:10000\n",
        );
        assert_eq!(
            (c.connected_clients, c.blocked_clients, c.maxclients),
            (Some(3), Some(1), Some(10000))
        );
        let r =
            ReplicationInfo::parse("role:slave\nmaster_host:10.0.0.1\nmaster_link_status:down\n");
        assert!(r.link_down());
        assert!(!ReplicationInfo::parse("role:master\nconnected_slaves:0\n").link_down());
    }
}

//! The mock's backup format, and how it reads integrity checks and table names.
//!
//! A database dump is plain text, one line per table (`TABLE users 1200`) between a header
//! and an end marker, so equal contents give byte-equal dumps and equal checksums. A
//! configuration backup lists the configuration entries and only the *names* of secret keys:
//! Secret values are never written.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::backup::{IntegrityCheck, IntegrityResult};
use crate::error::{Error, Result};

const DB_HEADER: &str = "-- mcp-ops mock dump";
const CONFIG_HEADER: &str = "# mcp-ops mock configuration backup";
const END: &str = "-- end";

/// What a backup holds once read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Contents {
    /// Tables and their row counts.
    Tables(BTreeMap<String, i64>),
    /// Configuration entries.
    Config(BTreeMap<String, String>),
}

/// Lower-case hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A dump of `tables` of `database`.
pub(crate) fn render_tables(database: &str, tables: &BTreeMap<String, i64>) -> Vec<u8> {
    let mut out = format!("{DB_HEADER}\n-- database: {database}\n");
    for (name, rows) in tables {
        out.push_str(&format!("TABLE {name} {rows}\n"));
    }
    out.push_str(END);
    out.push('\n');
    out.into_bytes()
}

/// A configuration backup of `namespace`: entries in full, secret keys by name only.
pub(crate) fn render_config(
    namespace: &str,
    config: &BTreeMap<String, String>,
    secret_keys: &[String],
) -> Vec<u8> {
    let mut out = format!("{CONFIG_HEADER}\n# namespace: {namespace}\n");
    for (k, v) in config {
        out.push_str(&format!("CONFIG {k}={v}\n"));
    }
    for k in secret_keys {
        out.push_str(&format!("SECRET-KEY {k} (value not stored)\n"));
    }
    out.push_str(END);
    out.push('\n');
    out.into_bytes()
}

/// Reads a backup back, as `pg_restore --list` would: an error when it cannot be read.
pub(crate) fn parse(bytes: &[u8]) -> Result<Contents> {
    let unreadable =
        |why: &str| Error::backend(super::BACKEND, format!("unreadable backup: {why}"), false);
    let text = std::str::from_utf8(bytes).map_err(|_| unreadable("not UTF-8"))?;
    let mut lines = text.lines();
    let header = lines.next().ok_or_else(|| unreadable("empty"))?;
    let config = match header {
        DB_HEADER => false,
        CONFIG_HEADER => true,
        _ => return Err(unreadable("unknown header")),
    };
    let mut tables = BTreeMap::new();
    let mut entries = BTreeMap::new();
    let mut ended = false;
    for line in lines {
        if ended {
            return Err(unreadable("data after the end marker"));
        }
        if line == END {
            ended = true;
        } else if line.starts_with("-- ")
            || line.starts_with("# ")
            || line.starts_with("SECRET-KEY ")
        {
            continue;
        } else if let (false, Some(rest)) = (config, line.strip_prefix("TABLE ")) {
            let (name, rows) = rest
                .split_once(' ')
                .ok_or_else(|| unreadable("bad table line"))?;
            let rows: i64 = rows.parse().map_err(|_| unreadable("bad row count"))?;
            if validate_table(name).is_err() {
                return Err(unreadable("bad table name"));
            }
            tables.insert(name.to_owned(), rows);
        } else if let (true, Some(rest)) = (config, line.strip_prefix("CONFIG ")) {
            let (k, v) = rest
                .split_once('=')
                .ok_or_else(|| unreadable("bad config line"))?;
            entries.insert(k.to_owned(), v.to_owned());
        } else {
            return Err(unreadable("unexpected line"));
        }
    }
    if !ended {
        return Err(unreadable("truncated (no end marker)"));
    }
    Ok(if config {
        Contents::Config(entries)
    } else {
        Contents::Tables(tables)
    })
}

/// Checks a table name: a PostgreSQL identifier (`[A-Za-z_][A-Za-z0-9_]*`, at most 63
/// bytes), optionally qualified by `public.`; returns it without the schema.
pub(crate) fn validate_table(name: &str) -> Result<&str> {
    let bare = name.strip_prefix("public.").unwrap_or(name);
    let mut chars = bare.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok || bare.len() > 63 || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::invalid(
            "table",
            format!("{name:?} is not a table name (letters, digits and _, at most 63)"),
        ));
    }
    Ok(bare)
}

/// The table of a `SELECT COUNT(*) FROM <table>` query, the only form the mock understands.
fn count_query_table(query: &str) -> Option<&str> {
    let q = query.trim().trim_end_matches(';').trim_end();
    let words: Vec<&str> = q.split_whitespace().collect();
    match words.as_slice() {
        [select, count, from, table]
            if select.eq_ignore_ascii_case("select")
                && count.eq_ignore_ascii_case("count(*)")
                && from.eq_ignore_ascii_case("from") =>
        {
            validate_table(table).ok()
        }
        _ => None,
    }
}

/// Runs one integrity check against `tables`.
pub(crate) fn run_check(check: &IntegrityCheck, tables: &BTreeMap<String, i64>) -> IntegrityResult {
    let outcome = match count_query_table(&check.query) {
        None => Err(format!(
            "the mock database only understands SELECT COUNT(*) FROM <table>, not {:?}",
            check.query
        )),
        Some(table) => tables
            .get(table)
            .copied()
            .ok_or_else(|| format!("relation \"{table}\" does not exist")),
    };
    match outcome {
        Ok(value) => IntegrityResult {
            check: check.clone(),
            value: Some(value),
            passed: value >= check.min,
            error: (value < check.min)
                .then(|| format!("{} is {value}, below the minimum {}", check.name, check.min)),
        },
        Err(error) => IntegrityResult {
            check: check.clone(),
            value: None,
            passed: false,
            error: Some(error),
        },
    }
}

/// Runs every check against `tables`.
pub(crate) fn run_checks(
    checks: &[IntegrityCheck],
    tables: &BTreeMap<String, i64>,
) -> Vec<IntegrityResult> {
    checks.iter().map(|c| run_check(c, tables)).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn tables() -> BTreeMap<String, i64> {
        BTreeMap::from([("users".to_owned(), 1200), ("sessions".to_owned(), 340)])
    }

    #[test]
    fn dumps_are_deterministic_and_round_trip() {
        let a = render_tables("mcp_db", &tables());
        assert_eq!(a, render_tables("mcp_db", &tables()));
        assert_eq!(sha256_hex(&a).len(), 64);
        assert_eq!(parse(&a).unwrap(), Contents::Tables(tables()));
        let cfg = BTreeMap::from([("LOG_LEVEL".to_owned(), "info".to_owned())]);
        let c = render_config("mcp-production", &cfg, &["jwt-secret".to_owned()]);
        assert_eq!(parse(&c).unwrap(), Contents::Config(cfg));
        assert!(!String::from_utf8(c).unwrap().contains("seed"));
    }

    #[test]
    fn damaged_dumps_are_unreadable() {
        let a = render_tables("mcp_db", &tables());
        assert!(parse(&a[..a.len() - 4]).is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"garbage\n-- end\n").is_err());
        let mut b = a.clone();
        b.extend_from_slice(b"TABLE x 1\n");
        assert!(parse(&b).is_err());
    }

    #[test]
    fn count_queries() {
        let t = tables();
        let check = |q: &str| {
            run_check(
                &IntegrityCheck {
                    name: "n".into(),
                    query: q.into(),
                    min: 1000,
                },
                &t,
            )
        };
        assert_eq!(check("SELECT COUNT(*) FROM users;").value, Some(1200));
        assert!(check("select count(*) from public.users").passed);
        assert!(!check("SELECT COUNT(*) FROM sessions").passed);
        let missing = check("SELECT COUNT(*) FROM orders");
        assert!(missing.error.unwrap().contains("does not exist"));
        let other = check("SELECT 1");
        assert!(!other.passed);
        assert!(other.error.unwrap().contains("only understands"));
        assert!(validate_table("users; DROP TABLE users").is_err());
        assert!(validate_table("").is_err());
        assert_eq!(validate_table("public.users").unwrap(), "users");
    }
}

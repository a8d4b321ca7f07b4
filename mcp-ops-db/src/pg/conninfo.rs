//! libpq TLS options the driver does not parse, taken out of a connection string before it
//! reaches tokio-postgres: `sslmode=verify-ca` / `verify-full` (become `require`, which
//! verifies the chain and the host name here) and `sslrootcert` (a PEM file, or `system`
//! for the operating system's store as in libpq 16). Also tells whether `sslmode` was given,
//! so `PGSSLMODE` can apply when it was not (as in libpq).

use std::path::PathBuf;

/// Where `sslrootcert` points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RootChoice {
    /// A PEM file.
    File(PathBuf),
    /// `sslrootcert=system`.
    System,
}

/// The TLS options found in a connection string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TlsOptions {
    /// Whether the string set `sslmode`.
    pub(crate) mode_given: bool,
    /// `sslrootcert`, if given.
    pub(crate) root: Option<RootChoice>,
}

/// Rewrites `value` for the driver (verify modes → `require`, `sslrootcert` removed) and
/// returns the options found. A string this cannot read is returned unchanged (the driver
/// then reports the error).
pub(crate) fn split_tls_options(value: &str) -> (String, TlsOptions) {
    let trimmed = value.trim_start();
    let params = if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
        url_params(value)
    } else {
        key_values(value).map(|p| (String::new(), p, Syntax::KeyValue))
    };
    let Some((prefix, params, syntax)) = params else {
        return (value.to_owned(), TlsOptions::default());
    };
    let mut options = TlsOptions::default();
    let mut kept = Vec::new();
    let mut changed = false;
    for (key, val) in params {
        match key.as_str() {
            "sslrootcert" => {
                options.root = Some(if val == "system" {
                    RootChoice::System
                } else {
                    RootChoice::File(PathBuf::from(val))
                });
                changed = true;
            }
            "sslmode" => {
                options.mode_given = true;
                if val == "verify-ca" || val == "verify-full" {
                    kept.push((key, "require".to_owned()));
                    changed = true;
                } else {
                    kept.push((key, val));
                }
            }
            _ => kept.push((key, val)),
        }
    }
    if !changed {
        return (value.to_owned(), options);
    }
    let rebuilt = match syntax {
        Syntax::Url(raw) => {
            let query: Vec<String> = raw
                .into_iter()
                .filter(|(k, _)| k != "sslrootcert")
                .map(|(k, v)| {
                    if k == "sslmode" && (v == "verify-ca" || v == "verify-full") {
                        "sslmode=require".to_owned()
                    } else {
                        format!("{k}={v}")
                    }
                })
                .collect();
            if query.is_empty() {
                prefix
            } else {
                format!("{prefix}?{}", query.join("&"))
            }
        }
        Syntax::KeyValue => kept
            .iter()
            .map(|(k, v)| format!("{k}='{}'", v.replace('\\', "\\\\").replace('\'', "\\'")))
            .collect::<Vec<_>>()
            .join(" "),
    };
    (rebuilt, options)
}

enum Syntax {
    /// The raw (still percent-encoded) query pairs, rebuilt as they were.
    Url(Vec<(String, String)>),
    KeyValue,
}

type Params = Vec<(String, String)>;

fn url_params(value: &str) -> Option<(String, Params, Syntax)> {
    let Some((prefix, query)) = value.split_once('?') else {
        return Some((value.to_owned(), Vec::new(), Syntax::Url(Vec::new())));
    };
    let mut raw = Vec::new();
    let mut decoded = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=')?;
        raw.push((k.to_owned(), v.to_owned()));
        decoded.push((percent_decode(k)?, percent_decode(v)?));
    }
    Some((prefix.to_owned(), decoded, Syntax::Url(raw)))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Parses `key = value` pairs as libpq and the driver do (single quotes, backslash escapes).
fn key_values(s: &str) -> Option<Params> {
    let mut it = s.chars().peekable();
    let mut params = Vec::new();
    loop {
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        if it.peek().is_none() {
            return Some(params);
        }
        let mut key = String::new();
        while let Some(c) = it.next_if(|c| !c.is_whitespace() && *c != '=') {
            key.push(c);
        }
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        it.next_if_eq(&'=')?;
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        let quoted = it.next_if_eq(&'\'').is_some();
        let mut value = String::new();
        loop {
            match it.peek().copied() {
                None if quoted => return None,
                None => break,
                Some('\'') if quoted => {
                    it.next();
                    break;
                }
                Some(c) if !quoted && c.is_whitespace() => break,
                Some('\\') => {
                    it.next();
                    value.push(it.next()?);
                }
                Some(c) => {
                    it.next();
                    value.push(c);
                }
            }
        }
        if key.is_empty() {
            return None;
        }
        params.push((key, value));
    }
}

/// Refuses, before the driver parses it, a connection string with a control character or
/// whitespace inside a URL, an unknown scheme, a bad `%` escape or a port outside 1–65535.
/// The reason never quotes the value.
pub(crate) fn check_text(field: &'static str, value: &str) -> crate::Result<()> {
    if value.contains("://") {
        if let Some(why) = mcp_ops_core::url_check::url_problem(value, &["postgres", "postgresql"])
        {
            return Err(crate::DbError::invalid(field, why));
        }
    } else if value.chars().any(char::is_control) {
        return Err(crate::DbError::invalid(
            field,
            "contains a control character (a newline or a tab, say)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn urls_lose_sslrootcert_and_verify_modes_become_require() {
        let (s, o) = split_tls_options(
            "postgresql://app:p%40ss@db.internal:5432/app?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=x",
        );
        assert_eq!(
            s,
            "postgresql://app:p%40ss@db.internal:5432/app?sslmode=require&application_name=x"
        );
        assert!(o.mode_given);
        assert_eq!(o.root, Some(RootChoice::File("/etc/ca.pem".into())));
        let (s, o) = split_tls_options("postgres://h/db?sslrootcert=system");
        assert_eq!(s, "postgres://h/db");
        assert_eq!((o.mode_given, o.root), (false, Some(RootChoice::System)));
        let plain = "postgresql://h/db?sslmode=prefer";
        assert_eq!(split_tls_options(plain).0, plain);
        assert!(split_tls_options(plain).1.mode_given);
        assert!(!split_tls_options("postgresql://h/db").1.mode_given);
    }

    #[test]
    fn key_value_strings_are_rebuilt_with_quoting() {
        let (s, o) = split_tls_options(
            "host=db port = 5432 password='it\\'s a \\\\ pw' sslmode=verify-ca sslrootcert='/etc/my ca.pem'",
        );
        assert_eq!(
            s,
            "host='db' port='5432' password='it\\'s a \\\\ pw' sslmode='require'"
        );
        assert_eq!(o.root, Some(RootChoice::File("/etc/my ca.pem".into())));
        let config: tokio_postgres::Config = s.parse().unwrap();
        assert_eq!(config.get_password(), Some(&b"it's a \\ pw"[..]));
        let untouched = "host=db dbname=app";
        assert_eq!(split_tls_options(untouched).0, untouched);
        // Unreadable strings pass through for the driver to reject.
        assert_eq!(split_tls_options("host='db").0, "host='db");
    }
}

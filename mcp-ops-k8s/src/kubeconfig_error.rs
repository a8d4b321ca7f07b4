//! Kubeconfig errors told without the file's content.
//!
//! A kubeconfig holds bearer tokens, passwords, client keys and the environment of exec
//! plugins. kube's parse errors quote the YAML around the error (a snippet of several lines),
//! so a broken indentation a few lines below `token: …` would print the token. Here a parse
//! error becomes the file, the line and column, and a reason from a fixed set; every other
//! kubeconfig error goes through [`mcp_ops_core::redact_text`].

use std::error::Error as _;
use std::path::Path;

use kube::config::{InferConfigError, KubeconfigError};
use mcp_ops_core::redact_text;

/// Why a kubeconfig (at `path`, when known) cannot be used, with no byte of its content.
pub(crate) fn describe(error: &KubeconfigError, path: Option<&Path>) -> String {
    let file = path.map_or_else(
        || "the kubeconfig".to_owned(),
        |p| format!("kubeconfig {}", p.display()),
    );
    match error {
        KubeconfigError::Parse(parse) => {
            let at = parse
                .location()
                .map(|l| format!(" at line {} column {}", l.line(), l.column()))
                .unwrap_or_default();
            format!("{file}{at}: {}", parse_reason(parse))
        }
        KubeconfigError::ReadConfig(io, _) => format!("cannot read {file}: {}", io_reason(io)),
        KubeconfigError::LoadCertificateAuthority(_) => {
            format!("{file}: the certificate authority data cannot be loaded")
        }
        KubeconfigError::LoadClientCertificate(_) => {
            format!("{file}: the client certificate data cannot be loaded")
        }
        KubeconfigError::LoadClientKey(_) => {
            format!("{file}: the client key data cannot be loaded")
        }
        KubeconfigError::ParseCertificates(_) => {
            format!("{file}: a certificate is not valid PEM")
        }
        KubeconfigError::ParseClusterUrl(_) => {
            format!("{file}: the cluster's server is not a valid URL")
        }
        KubeconfigError::ParseProxyUrl(_) => {
            format!("{file}: the cluster's proxy-url is not a valid URL")
        }
        other => format!("{file}: {}", redact_text(&other.to_string())),
    }
}

/// Like [`describe`] for `kube::Config::infer`'s error (in-cluster and kubeconfig both failed).
pub(crate) fn describe_infer(error: &InferConfigError) -> String {
    match error
        .source()
        .and_then(|s| s.downcast_ref::<KubeconfigError>())
    {
        Some(KubeconfigError::FindPath) | None => {
            "no kubeconfig found (KUBECONFIG, ~/.kube/config) and not running in a cluster"
                .to_owned()
        }
        Some(kubeconfig) => describe(
            kubeconfig,
            std::env::var_os("KUBECONFIG").as_deref().map(Path::new),
        ),
    }
}

/// Any YAML parse error told as line, column and a reason from a fixed set (configuration
/// backups hold ConfigMap values; the parser's snippet would quote them).
pub(crate) fn yaml_error(parse: &serde_saphyr::Error) -> String {
    let at = parse
        .location()
        .map(|l| format!("line {} column {}: ", l.line(), l.column()))
        .unwrap_or_default();
    let reason = parse_reason(parse).replace("not a kubeconfig: ", "");
    format!("{at}{reason}")
}

/// A reason from a fixed set: serde's messages quote values (`invalid type: string "…"`) and
/// the YAML parser's quote the lines around the error.
fn parse_reason(parse: &serde_saphyr::Error) -> &'static str {
    let message = parse.without_snippet().to_string();
    let shape = [
        "invalid type",
        "invalid value",
        "missing field",
        "unknown field",
        "unknown variant",
        "invalid length",
    ];
    if shape.iter().any(|s| message.contains(s)) {
        "not a kubeconfig: a field is missing or has the wrong type (content not shown)"
    } else {
        "not valid YAML (content not shown)"
    }
}

/// The OS reason only (the path is already in the message).
fn io_reason(io: &std::io::Error) -> String {
    match io.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::IsADirectory => "is a directory".to_owned(),
        std::io::ErrorKind::InvalidData => "not UTF-8 text".to_owned(),
        _ => redact_text(&io.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::describe;
    use std::path::Path;

    const SECRETS: [&str; 5] = ["s3cr3t", "hunter2", "S0VZREFUQQ", "envpw", "q0q0"];

    fn load(yaml: &str) -> String {
        match kube::config::Kubeconfig::from_yaml(yaml) {
            Ok(_) => panic!("parsed: {yaml}"),
            Err(e) => describe(&e, Some(Path::new("/k/config"))),
        }
    }

    #[test]
    fn parse_errors_show_place_and_reason_but_no_content() {
        let cases = [
            "users:\n- name: u\n  user:\n    token: s3cr3t\n    password: hunter2\n   client-key-data: S0VZREFUQQ==\n",
            "users:\n- name: u\n  user:\n    exec:\n      env:\n      - name: PW\n        value: envpw\n     command: x\n",
            "users: s3cr3t\n",
            "users:\n- name: u\n  user:\n    token: [s3cr3t, hunter2]\n",
            "clusters:\n- name: c\n  cluster:\n    server: https://u:hunter2@h?token=q0q0\n  \"bad\n",
            "users:\n- name: u\n  user: {token: s3cr3t, password: 'hunter2\n",
            "\tusers: s3cr3t\n",
        ];
        for yaml in cases {
            let shown = load(yaml);
            assert!(shown.starts_with("kubeconfig /k/config"), "{shown}");
            assert!(!shown.contains('\n'), "{shown}");
            for secret in SECRETS {
                assert!(!shown.contains(secret), "{yaml} -> {shown}");
            }
        }
        assert!(
            load(cases[0]).contains("line 6 column 4"),
            "{}",
            load(cases[0])
        );
    }
}

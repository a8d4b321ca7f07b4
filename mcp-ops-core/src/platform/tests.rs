#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use super::*;

/// A small valid platform; tests splice lines into it.
const SHOP: &str = r#"
namespaces = ["shop", "shop-jobs"]

[platform]
name = "shop"
environment = "staging"

[[deployments]]
name = "storefront"
role = "api"
replicas = 2
containers = [{ name = "web", image = "registry.example/storefront:v2.3.0", port = 8000 }]

[[deployments]]
name = "checkout"
namespace = "shop-jobs"
role = "worker"
containers = [{ name = "worker", image = "registry.example/checkout:v1.4.1" }]

[[health]]
name = "storefront"
url = "http://storefront.shop.internal:8000/healthz"
served_by = ["storefront"]

[database]
name = "shop_db"
url = { env = "SHOP_DATABASE_URL" }

[thresholds]
rollback_error_rate = 0.08
"#;

fn err(text: &str) -> PlatformError {
    Platform::from_toml_str(text).unwrap_err()
}

fn with(extra: &str) -> String {
    format!("{SHOP}\n{extra}\n")
}

#[test]
fn the_runbook_platform_is_built_without_fallback_and_round_trips() {
    let built = builtin::build().unwrap();
    let p = Platform::runbook();
    assert_eq!(p, built);
    assert_eq!(p.deployments.len(), 3);
    assert_eq!(
        p.api().reference.to_string(),
        "mcp-production/mcp-typescript-api"
    );
    let text = p.to_toml_string().unwrap();
    assert_eq!(Platform::from_toml_str(&text).unwrap(), p, "{text}");
    assert_eq!(p.thresholds, crate::Policy::default());
    assert_eq!(
        p.triage_input(),
        crate::runbook::triage::TriageInput::runbook()
    );
    let image =
        crate::types::ImageRef::parse("ghcr.io/your-org/mcp-typescript-server:v1.0.1").unwrap();
    assert_eq!(
        p.deploy_request(image.clone()).unwrap(),
        crate::runbook::standard_deploy::DeployRequest::runbook(image).unwrap()
    );
}

#[test]
fn a_valid_file_loads_with_defaults_filled_in() {
    let p = Platform::from_toml_str(SHOP).unwrap();
    assert_eq!(p.namespace().as_str(), "shop");
    assert_eq!(p.deployments[1].reference.to_string(), "shop-jobs/checkout");
    assert_eq!(p.deployments[1].replicas, 1);
    assert_eq!(p.deployments[1].containers[0].port, 8080);
    assert_eq!(p.thresholds.rollback_error_rate, 0.08);
    assert_eq!(p.thresholds.error_rate_p1, 0.05);
    assert_eq!(p.escalation, crate::EscalationPolicy::default());
    assert_eq!(
        p.database.as_ref().unwrap().url,
        Some(SecretRef::Env("SHOP_DATABASE_URL".into()))
    );
    let input = p.triage_input();
    assert_eq!(
        input.endpoints[0].probe.url,
        "http://storefront.shop.internal:8000/healthz"
    );
    assert_eq!(input.database, "shop_db");
    let again = Platform::from_toml_str(&p.to_toml_string().unwrap()).unwrap();
    assert_eq!(again, p);
}

#[test]
fn each_error_names_its_key() {
    let cases: Vec<(String, &str)> = vec![
        (
            SHOP.replace("name = \"web\"", "name = \"Web_1\""),
            "deployments[0].containers[0].name: ",
        ),
        (
            SHOP.replace("name = \"worker\"", "name = \"-w\""),
            "deployments[1].containers[0].name: ",
        ),
        (
            SHOP.replace("registry.example/checkout:v1.4.1", "Registry//x"),
            "deployments[1].containers[0].image: ",
        ),
        (
            SHOP.replace(
                "name = \"checkout\"\nnamespace = \"shop-jobs\"",
                "name = \"storefront\"",
            ),
            "deployments[1].name: ",
        ),
        (
            SHOP.replace("namespace = \"shop-jobs\"", "namespace = \"other\""),
            "deployments[1].namespace: ",
        ),
        (
            SHOP.replace("replicas = 2", "replicas = 0"),
            "deployments[0].replicas: ",
        ),
        (
            SHOP.replace("[\"shop\", \"shop-jobs\"]", "[\"shop\", \"Shop\"]"),
            "namespaces[1]: ",
        ),
        (
            SHOP.replace("served_by = [\"storefront\"]", "served_by = [\"cart\"]"),
            "health[0].served_by[0]: ",
        ),
        (
            SHOP.replace("http://storefront", "ftp://storefront"),
            "health[0].url: ",
        ),
        (
            SHOP.replace("http://storefront", "http://user:pw@storefront"),
            "health[0].url: ",
        ),
        (
            SHOP.replace("{ env = \"SHOP_DATABASE_URL\" }", "{ env = \"1BAD\" }"),
            "database.url.env: ",
        ),
        (
            SHOP.replace(
                "{ env = \"SHOP_DATABASE_URL\" }",
                "{ env = \"A\", file = \"/b\" }",
            ),
            "database.url: ",
        ),
        (
            SHOP.replace("{ env = \"SHOP_DATABASE_URL\" }", "{ vault = \"x\" }"),
            "database.url.vault: ",
        ),
        (
            SHOP.replace("rollback_error_rate = 0.08", "rollback_error_rate = 0.01"),
            "thresholds.rollback_error_rate: ",
        ),
        (
            SHOP.replace("rollback_error_rate = 0.08", "error_rate_p1 = 1.5"),
            "thresholds.error_rate_p1: ",
        ),
        (
            SHOP.replace("rollback_error_rate = 0.08", "max_replicas = 1"),
            "deployments[0].replicas: ",
        ),
        (
            with("[[escalation]]\nlevel = 2\nafter_minutes = 0\ncontacts = [\"x\"]"),
            "escalation[0].level: ",
        ),
        (
            with(
                "[[escalation]]\nlevel = 1\nafter_minutes = 5\ncontacts = [\"x\"]\n[[escalation]]\nlevel = 2\nafter_minutes = 1\ncontacts = [\"y\"]",
            ),
            "escalation[1].after_minutes: ",
        ),
        (
            with("[[escalation]]\nlevel = 1\nafter_minutes = 0\ncontacts = []"),
            "escalation[0].contacts: ",
        ),
        (
            with("[notifiers.email]\nsmtp_host = \"smtp\"\nfrom = \"nobody\"\nto = [\"a@b\"]"),
            "notifiers.email.from: ",
        ),
        (
            with(
                "[notifiers.email]\nsmtp_host = \"smtp\"\nfrom = \"a@b\"\nto = [\"a@b\"]\nuser = \"u\"",
            ),
            "notifiers.email.user: ",
        ),
        (
            with("[metrics]\nurl = \"prometheus:9090\""),
            "metrics.url: ",
        ),
        (with("[cluster]\ncontext = \"\""), "cluster.context: "),
        (
            SHOP.replace("name = \"shop\"\n", "name = \"\"\n"),
            "platform.name: ",
        ),
    ];
    for (text, key) in cases {
        let e = err(&text);
        assert!(e.to_string().contains(key), "want {key:?} in {e}");
    }
}

#[test]
fn inline_secrets_are_refused_without_repeating_them() {
    let cases = [
        (
            SHOP.replace(
                "{ env = \"SHOP_DATABASE_URL\" }",
                "\"postgres://shop:s3cr3t@db/shop\"",
            ),
            "database.url",
        ),
        (
            with("[notifiers.slack]\nwebhook = \"https://hooks.example/T0/B0/s3cr3t\""),
            "notifiers.slack.webhook",
        ),
        (
            with("[notifiers.pagerduty]\nrouting_key = \"s3cr3t\""),
            "notifiers.pagerduty.routing_key",
        ),
        (
            with(
                "[notifiers.email]\nsmtp_host = \"smtp\"\nfrom = \"a@b\"\nto = [\"a@b\"]\nuser = \"u\"\npassword = \"s3cr3t\"",
            ),
            "notifiers.email.password",
        ),
        (
            with("[metrics]\nurl = \"http://admin:s3cr3t@prom:9090\""),
            "metrics.url",
        ),
        (
            with("[cache]\nname = \"redis\"\nurl = \"redis://:s3cr3t@cache:6379\""),
            "cache.url",
        ),
    ];
    for (text, key) in cases {
        let e = err(&text).to_string();
        assert!(e.contains(&format!("{key}: ")), "{e}");
        assert!(e.contains("inline secrets are refused"), "{e}");
        assert!(!e.contains("s3cr3t"), "{e}");
    }
}

#[test]
fn parser_errors_give_line_and_key() {
    let e = err(&SHOP.replace("replicas = 2", "replicas = 2\ncolour = \"blue\""));
    assert_eq!(e.key, "colour");
    assert!(e.reason.contains("unknown field"), "{e}");
    let (line, column) = e.line.unwrap();
    let text = SHOP.replace("replicas = 2", "replicas = 2\ncolour = \"blue\"");
    assert_eq!(text.lines().nth(line - 1), Some("colour = \"blue\""));
    assert_eq!(column, 1);
    let e = err(&SHOP.replace("replicas = 2", "replicas = \"two\""));
    assert_eq!(e.key, "replicas");
    assert!(e.line.is_some());
    let e = err(&SHOP.replace("role = \"api\"", "role = \"frontend\""));
    assert_eq!(e.key, "role");
    assert!(e.reason.contains("api"), "{e}");
    let e = err(&with("[surprise]\nx = 1"));
    assert!(e.reason.contains("surprise"), "{e}");
    let e = err("namespaces = [");
    assert!(e.line.is_some(), "{e}");
}

#[test]
fn load_names_the_file_and_converts_into_the_core_error() {
    let dir = std::env::temp_dir().join(format!("mcp-ops-platform-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(&path, SHOP.replace("name = \"web\"", "name = \"WEB\"")).unwrap();
    let e = Platform::load(&path).unwrap_err();
    let text = e.to_string();
    assert!(text.starts_with(&path.display().to_string()), "{text}");
    assert!(
        text.contains("deployments[0].containers[0].name: "),
        "{text}"
    );
    let core: crate::Error = e.into();
    assert!(matches!(
        core,
        crate::Error::InvalidInput {
            field: "platform",
            ..
        }
    ));
    assert!(
        Platform::load(dir.join("missing.toml"))
            .unwrap_err()
            .to_string()
            .contains("cannot read")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn secrets_resolve_from_files_and_unset_variables_are_not_configured() {
    let dir = std::env::temp_dir().join(format!("mcp-ops-secret-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("hook");
    std::fs::write(&path, "https://hooks.example/x\n").unwrap();
    let v = SecretRef::File(path.clone()).resolve().unwrap().unwrap();
    assert_eq!(v.expose_str().unwrap(), "https://hooks.example/x");
    assert!(SecretRef::File(dir.join("nope")).resolve().is_err());
    let unset = SecretRef::Env("MCP_OPS_PLATFORM_TEST_NEVER_SET_7F3A".into());
    assert!(unset.resolve().unwrap().is_none());
    assert_eq!(unset.describe(), "env MCP_OPS_PLATFORM_TEST_NEVER_SET_7F3A");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        UrlSource::Url("http://prom:9090".into())
            .resolve()
            .unwrap()
            .as_deref(),
        Some("http://prom:9090")
    );
    let _ = Duration::ZERO;
}

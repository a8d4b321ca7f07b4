#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::Platform;

const BASE: &str = r#"
namespaces = ["shop", "shop-jobs"]

[platform]
name = "shop"
environment = "staging"

[[deployments]]
name = "storefront"
role = "api"
containers = [{ name = "web", image = "registry.example/storefront:v2.3.0" }]

[[deployments]]
name = "checkout"
namespace = "shop-jobs"
role = "worker"
containers = [{ name = "worker", image = "registry.example/checkout:v1.4.1" }]
"#;

fn parse(extra: &str) -> Result<Platform, String> {
    Platform::from_toml_str(&format!("{BASE}\n{extra}\n")).map_err(|e| e.to_string())
}

#[test]
fn without_a_section_the_scope_is_the_platform_and_no_secret() {
    let p = parse("").unwrap();
    assert_eq!(p.agents.namespaces, p.namespaces);
    assert!(p.agents.allows_deployment("storefront"));
    assert!(p.agents.allows_deployment("checkout"));
    assert!(p.agents.secrets.is_empty());
    assert!(!p.agents.allows_namespace("kube-system"));
}

#[test]
fn a_section_narrows_the_scope_and_round_trips() {
    let p = parse(
        "[mcp]\nnamespaces = [\"shop\"]\ndeployments = [\"storefront\"]\nsecrets = [\"api-keys\"]",
    )
    .unwrap();
    assert!(p.agents.allows_namespace("shop"));
    assert!(!p.agents.allows_namespace("shop-jobs"));
    assert!(!p.agents.allows_deployment("checkout"));
    assert!(p.agents.allows_secret("api-keys"));
    let text = p.to_toml_string().unwrap();
    assert_eq!(Platform::from_toml_str(&text).unwrap(), p, "{text}");
}

#[test]
fn names_outside_the_platform_or_malformed_are_refused_by_key() {
    let e = parse("[mcp]\nnamespaces = [\"kube-system\"]").unwrap_err();
    assert!(
        e.contains("mcp.namespaces[0]") && e.contains("kube-system"),
        "{e}"
    );
    let e = parse("[mcp]\ndeployments = [\"storefront\", \"billing\"]").unwrap_err();
    assert!(
        e.contains("mcp.deployments[1]") && e.contains("billing"),
        "{e}"
    );
    let e = parse("[mcp]\nsecrets = [\"Bad_Name\"]").unwrap_err();
    assert!(e.contains("mcp.secrets[0]"), "{e}");
    let e = parse("[mcp]\nnamespaces = []").unwrap_err();
    assert!(e.contains("at least one"), "{e}");
    let e = parse("[mcp]\ntools = [\"deploy\"]").unwrap_err();
    assert!(e.contains("tools"), "{e}");
}

//! A real `kube::Client::try_from(Config)` is built (the rustls crypto-provider trap of
//! STACK.md), from a URL and from the SimCluster's kubeconfig file, and used over HTTP.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use mcp_ops_core::Deployer;
use mcp_ops_core::types::Namespace;
use mcp_ops_k8s::sim::{Scenario, SimCluster};
use mcp_ops_k8s::{ConfigError, KubeConfig};

#[tokio::test]
async fn client_from_config_and_from_kubeconfig() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let ns = Namespace::new("mcp-production").unwrap();

    let config = kube::Config::new(c.url().parse().unwrap());
    let k = KubeConfig::new().build_from(config).unwrap();
    assert_eq!(k.deployments(&ns).await.unwrap().len(), 3);

    let k = KubeConfig::new()
        .with_kubeconfig_path(c.kubeconfig_path())
        .with_context("sim")
        .with_namespace("mcp-production")
        .build()
        .await
        .unwrap();
    assert_eq!(k.deployments(&ns).await.unwrap().len(), 3);

    let e = KubeConfig::new()
        .with_kubeconfig_path(c.kubeconfig_path())
        .with_context("no-such-context")
        .build()
        .await
        .unwrap_err();
    assert!(matches!(e, ConfigError::Config(_)), "{e:?}");
}

#[tokio::test]
async fn unreachable_server_is_unavailable_after_bounded_retries() {
    // A port nothing listens on: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = kube::Config::new(format!("http://127.0.0.1:{port}").parse().unwrap());
    let k = KubeConfig::new()
        .with_retry(mcp_ops_k8s::RetryPolicy {
            max_attempts: 3,
            base_delay: std::time::Duration::from_millis(5),
            max_delay: std::time::Duration::from_millis(20),
            call_timeout: std::time::Duration::from_secs(5),
        })
        .build_from(config)
        .unwrap();
    let e = k
        .deployments(&Namespace::new("x").unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(e, mcp_ops_core::Error::Unavailable { .. }),
        "{e:?}"
    );
}

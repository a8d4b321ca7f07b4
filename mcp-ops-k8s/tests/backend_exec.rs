//! Pod logs and exec on a SimCluster. The simulator serves logs but not exec (no websocket
//! upgrade), so exec is checked for its NotFound and Unsupported answers only; running a
//! command needs a real cluster (`tests/backend_real_cluster.rs`).
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use mcp_ops_core::Error;
use mcp_ops_core::types::{Namespace, ResourceName};
use mcp_ops_k8s::KubeCluster;
use mcp_ops_k8s::sim::{Scenario, SimCluster};

#[tokio::test]
async fn logs_tail_and_exec_answers() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let k = KubeCluster::new(c.client().unwrap());
    let ns = Namespace::new("mcp-production").unwrap();
    let pod = ResourceName::new("postgres-primary-0").unwrap();
    let tail = k.logs(&ns, &pod, None, Some(3)).await.unwrap();
    assert_eq!(tail.lines().count(), 3, "{tail}");
    let missing = ResourceName::new("nope").unwrap();
    assert!(matches!(
        k.logs(&ns, &missing, None, None).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        k.exec(&ns, &missing, None, &["pg_dump", "mcp_db"]).await,
        Err(Error::NotFound { .. })
    ));
    let r = k.exec(&ns, &pod, None, &["pg_dump", "mcp_db"]).await;
    assert!(matches!(r, Err(Error::Unsupported { .. })), "{r:?}");
}

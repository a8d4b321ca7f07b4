//! A user's crate outside the mcp-ops workspace: the four library crates by path and tokio,
//! nothing else. `main` runs the examples of the crates' READMEs and of the test kit's docs
//! (those that need no server: the in-memory mocks, the test kit and the simulated Kubernetes
//! API server) and builds the database and alerting clients, so a published crate that a user
//! cannot build or run these with fails here first. Run by `scripts/test`:
//! `cargo run --manifest-path tests/outside-crate/Cargo.toml`.

mod core_readme;
mod k8s_readme;
mod testkit_doc;
mod wiring;

type BoxError = Box<dyn std::error::Error>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let steps: [(&str, Result<(), BoxError>); 6] = [
        (
            "mcp-ops-core README: deploy, check the rollout",
            core_readme::deploy_and_check().await,
        ),
        (
            "mcp-ops-core README: dry run, undo",
            core_readme::dry_run_and_undo().await,
        ),
        (
            "mcp-ops-k8s README: deploy on the simulated cluster",
            k8s_readme::deploy_on_sim().await,
        ),
        (
            "mcp-ops-core testkit docs: a procedure of ours in paused time",
            testkit_doc::paused_procedure(),
        ),
        ("mcp-ops-db: clients from URLs", wiring::database()),
        ("mcp-ops-alerts: clients from URLs", wiring::alerting()),
    ];
    let mut failed = 0;
    for (name, result) in steps {
        match result {
            Ok(()) => println!("ok     {name}"),
            Err(e) => {
                failed += 1;
                println!("FAILED {name}: {e}");
            }
        }
    }
    if failed > 0 {
        return Err(format!("{failed} of the README examples failed").into());
    }
    println!("outside crate: every README example ran");
    Ok(())
}

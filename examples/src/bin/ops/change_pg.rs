//! Change requests and the journal in PostgreSQL (`--incidents-url`): not wired in this
//! build (the PostgreSQL stores are not available yet).

use std::sync::Arc;

use mcp_ops_core::audit::AuditLog;
use mcp_ops_core::change::ChangeStore;
use mcp_ops_db::PgBackend;

use crate::Failure;

/// The change store and the journal on `pg`'s pool.
///
/// # Errors
/// Always: this build keeps change requests and the journal only in the state directory.
pub fn stores(_pg: &PgBackend) -> Result<(Arc<dyn ChangeStore>, Arc<dyn AuditLog>), Failure> {
    Err(Failure::BadInput(
        "--incidents-url: change requests and the journal are not kept in PostgreSQL by this build; drop --incidents-url".to_owned(),
    ))
}

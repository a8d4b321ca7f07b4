//! `ops alerts`: the alerts firing now (Alertmanager API v2; read only).

use crate::backends::Backends;
use crate::cli::Global;
use crate::{Failure, Outcome};

/// `ops alerts`.
pub async fn alerts(_g: &Global, _b: &Backends) -> Outcome {
    Err(Failure::Failed("alerts: not implemented yet".to_owned()))
}

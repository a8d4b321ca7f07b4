//! `ops history <deployment>`: the rollout history (`kubectl rollout history`; read only).

use crate::backends::Backends;
use crate::cli::Global;
use crate::{Failure, Outcome};

/// `ops history <deployment>`.
pub async fn history(deployment: &str, _g: &Global, _b: &Backends) -> Outcome {
    Err(Failure::Failed(format!(
        "history of {deployment}: not implemented yet"
    )))
}

//! The scratch database of a test restore, dropped however the verification ends.
//!
//! [`Scratch`] is armed before `CREATE DATABASE` is sent and dropped with the verification:
//! awaited ([`Scratch::remove`]) on every normal path, and — when the verification's future
//! is dropped (a caller's cancellation, Ctrl-C, a deadline) — by a `DROP DATABASE … WITH
//! (FORCE)` its `Drop` spawns on the running Tokio runtime (the killed pg_restore's session
//! is terminated by `FORCE`). A process that exits right after dropping the future may not
//! give that spawned drop time to finish; the scratch database is then left, named
//! `mcp_ops_verify_<hex>`, and the next one is unaffected.

use super::service::PgBackups;
use crate::pg::{connect, quote_ident};
use crate::{DbError, Result};

/// A scratch database `mcp_ops_verify_<random>` that is dropped with this value.
pub(crate) struct Scratch {
    backups: PgBackups,
    name: String,
    armed: bool,
}

impl Scratch {
    /// Creates an empty scratch database on the server of `backups`.
    ///
    /// # Errors
    /// The random source, the connection or `CREATE DATABASE` failing (whatever may have
    /// been created is dropped again).
    pub(crate) async fn create(backups: &PgBackups) -> Result<Self> {
        let mut rnd = [0u8; 6];
        getrandom::fill(&mut rnd).map_err(|e| DbError::Io {
            context: "reading the OS random source".to_owned(),
            source: std::io::Error::other(e.to_string()),
        })?;
        // Armed before the CREATE is sent: a cancellation while it runs still drops it.
        let scratch = Self {
            backups: backups.clone(),
            name: format!("mcp_ops_verify_{}", hex::encode(rnd)),
            armed: true,
        };
        let created = async {
            connect(&backups.config)
                .await?
                .batch_execute(&format!(
                    "CREATE DATABASE {} TEMPLATE template0",
                    quote_ident(&scratch.name)
                ))
                .await
                .map_err(DbError::query("creating the scratch database"))
        }
        .await;
        match created {
            Ok(()) => Ok(scratch),
            Err(e) => {
                scratch.remove().await;
                Err(e)
            }
        }
    }

    /// The database's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Drops the database now (failures are logged).
    pub(crate) async fn remove(mut self) {
        self.armed = false;
        self.backups.drop_scratch(&self.name).await;
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let name = std::mem::take(&mut self.name);
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                tracing::info!(database = %name, "verification dropped: dropping its scratch database");
                let backups = self.backups.clone();
                runtime.spawn(async move { backups.drop_scratch(&name).await });
            }
            Err(_) => {
                tracing::warn!(database = %name, "verification dropped outside a runtime: its scratch database is left; drop it with DROP DATABASE");
            }
        }
    }
}

impl PgBackups {
    /// Drops a scratch database (forcibly on PostgreSQL 13+); failures are logged.
    pub(crate) async fn drop_scratch(&self, scratch: &str) {
        let dropped = async {
            let admin = connect(&self.config).await?;
            let version = crate::pg::server_version_num(&admin).await.unwrap_or(0);
            let force = if version >= 130_000 {
                " WITH (FORCE)"
            } else {
                ""
            };
            admin
                .batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {}{force}",
                    quote_ident(scratch)
                ))
                .await
                .map_err(DbError::query("dropping the scratch database"))
        }
        .await;
        if let Err(e) = dropped {
            tracing::warn!(database = %scratch, error = %e, "could not drop the scratch database");
        }
    }
}

//! Building a [`MockDatabase`], empty or seeded with the runbook's `mcp_db`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::{Availability, DbState, MockDatabase};
use crate::clock::{SharedClock, TokioClock};
use crate::maintenance::{ActiveQuery, ColumnStats, ConnectionUsage, IndexUsage, SlowStatement};

/// Builds a [`MockDatabase`].
#[derive(Debug)]
pub struct MockDatabaseBuilder {
    state: DbState,
    clock: SharedClock,
}

impl Default for MockDatabaseBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl MockDatabaseBuilder {
    /// An empty database `mcp_db` (no tables, no statistics, `pg_stat_statements` on,
    /// 0 of 100 connections), the cache `redis`, namespace `mcp-production`, the default clock
    /// ([`TokioClock::wall`](crate::TokioClock::wall): wall time, or paused time in a paused
    /// runtime).
    pub fn new() -> Self {
        Self {
            state: DbState {
                database: "mcp_db".to_owned(),
                tables: BTreeMap::new(),
                config: BTreeMap::new(),
                secret_keys: Vec::new(),
                namespaces: vec![crate::types::RUNBOOK_NAMESPACE.to_owned()],
                cronjobs: Vec::new(),
                backups: Vec::new(),
                next_backup: 1,
                maintenance: Vec::new(),
                restores: Vec::new(),
                active: Vec::new(),
                slow: Vec::new(),
                stat_statements: true,
                indexes: Vec::new(),
                columns: Vec::new(),
                connections: ConnectionUsage { used: 0, max: 100 },
                database_health: Availability::Up,
                cache: "redis".to_owned(),
                cache_health: Availability::Up,
            },
            clock: Arc::new(TokioClock::wall()),
        }
    }

    /// The runbook's database: `mcp_db` with `users` (1200 rows) and `sessions` (340 rows);
    /// the CronJobs `postgres-backup` and `app-data-backup` in `mcp-production`; the
    /// configuration `DB_POOL_SIZE=20`, `LOG_LEVEL=info` and the secret keys of `mcp-secrets`;
    /// a long-running query (45 s), statement statistics, index usage (one unused index),
    /// column statistics of `public`, 12 of 100 connections in use.
    pub fn runbook() -> Self {
        let ms = Duration::from_millis;
        let secs = Duration::from_secs;
        let mut b = Self::new()
            .table("users", 1200)
            .table("sessions", 340)
            .cronjob(crate::types::RUNBOOK_NAMESPACE, "postgres-backup")
            .cronjob(crate::types::RUNBOOK_NAMESPACE, "app-data-backup")
            .config("DB_POOL_SIZE", "20")
            .config("LOG_LEVEL", "info")
            .connections(12, 100);
        b.state.secret_keys = vec!["db-password".to_owned(), "jwt-secret".to_owned()];
        let active = [
            (
                4242,
                "active",
                None,
                secs(45),
                "SELECT * FROM sessions WHERE expires_at < now()",
            ),
            (4250, "idle in transaction", None, secs(12), "BEGIN"),
            (
                4243,
                "active",
                Some("Lock:transactionid"),
                secs(2),
                "UPDATE users SET last_login = now() WHERE id = $1",
            ),
        ];
        for (pid, state, wait, duration, query) in active {
            b = b.active_query(ActiveQuery {
                pid,
                state: state.to_owned(),
                wait: wait.map(str::to_owned),
                duration,
                query: query.to_owned(),
            });
        }
        let slow = [
            ("SELECT * FROM sessions WHERE user_id = $1", 5000, 300),
            ("SELECT COUNT(*) FROM users", 100, 50),
            (
                "UPDATE users SET last_login = now() WHERE id = $1",
                12000,
                20,
            ),
        ];
        for (query, calls, mean_ms) in slow {
            b = b.slow_statement(SlowStatement {
                query: query.to_owned(),
                calls,
                total_time: ms(mean_ms * calls),
                mean_time: ms(mean_ms),
            });
        }
        let indexes = [
            ("users", "users_pkey", 50_000, 50_000, 49_800),
            ("sessions", "sessions_pkey", 30_000, 30_000, 29_000),
            ("users", "users_email_idx", 1_200, 1_200, 1_150),
            ("sessions", "sessions_user_id_idx", 0, 0, 0),
        ];
        for (table, index, scans, read, fetched) in indexes {
            b = b.index(IndexUsage {
                schema: "public".to_owned(),
                table: table.to_owned(),
                index: index.to_owned(),
                scans,
                tuples_read: read,
                tuples_fetched: fetched,
            });
        }
        let columns = [
            ("users", "id", -1.0, Some(1.0)),
            ("users", "email", -1.0, Some(0.02)),
            ("sessions", "user_id", 900.0, Some(0.1)),
            ("sessions", "expires_at", -0.8, None),
        ];
        for (table, column, n_distinct, correlation) in columns {
            b = b.column(ColumnStats {
                schema: "public".to_owned(),
                table: table.to_owned(),
                column: column.to_owned(),
                n_distinct,
                correlation,
            });
        }
        b
    }

    /// Uses `clock` for timestamps and slow answers (e.g. a [`crate::clock::TokioClock`]).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Names the database (default `mcp_db`).
    pub fn database(mut self, name: &str) -> Self {
        name.clone_into(&mut self.state.database);
        self
    }

    /// Names the cache (default `redis`).
    pub fn cache(mut self, name: &str) -> Self {
        name.clone_into(&mut self.state.cache);
        self
    }

    /// Adds a table with `rows` rows.
    pub fn table(mut self, name: &str, rows: i64) -> Self {
        self.state.tables.insert(name.to_owned(), rows);
        self
    }

    /// Adds a CronJob whose Jobs dump the database.
    pub fn cronjob(mut self, namespace: &str, name: &str) -> Self {
        self.state
            .cronjobs
            .push((namespace.to_owned(), name.to_owned()));
        if !self.state.namespaces.iter().any(|n| n == namespace) {
            self.state.namespaces.push(namespace.to_owned());
        }
        self
    }

    /// Adds a configuration entry (held by configuration backups).
    pub fn config(mut self, key: &str, value: &str) -> Self {
        self.state.config.insert(key.to_owned(), value.to_owned());
        self
    }

    /// Turns `pg_stat_statements` off: `slow_statements` answers `Unsupported`.
    pub fn without_pg_stat_statements(mut self) -> Self {
        self.state.stat_statements = false;
        self
    }

    /// Sets the connections in use and the limit.
    pub fn connections(mut self, used: u32, max: u32) -> Self {
        self.state.connections = ConnectionUsage { used, max };
        self
    }

    /// Adds a statement running now.
    pub fn active_query(mut self, query: ActiveQuery) -> Self {
        self.state.active.push(query);
        self
    }

    /// Adds statement statistics.
    pub fn slow_statement(mut self, statement: SlowStatement) -> Self {
        self.state.slow.push(statement);
        self
    }

    /// Adds index usage statistics.
    pub fn index(mut self, index: IndexUsage) -> Self {
        self.state.indexes.push(index);
        self
    }

    /// Adds column statistics.
    pub fn column(mut self, column: ColumnStats) -> Self {
        self.state.columns.push(column);
        self
    }

    /// Sets how the database answers health probes.
    pub fn database_health(mut self, availability: Availability) -> Self {
        self.state.database_health = availability;
        self
    }

    /// Sets how the cache answers health probes.
    pub fn cache_health(mut self, availability: Availability) -> Self {
        self.state.cache_health = availability;
        self
    }

    /// Builds the database.
    pub fn build(self) -> MockDatabase {
        MockDatabase::new(self.state, self.clock)
    }
}

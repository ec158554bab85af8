//! The `postgres` backend, for keyrot run from several places (CI runners, CronJobs, people):
//! a session-level advisory lock, which the server releases if the holding process dies, with
//! its holder's details in a table; the journal in a table, each record committed before the
//! write it announces is sent. keyrot creates and migrates its own tables.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tokio_postgres::config::SslMode;
use tokio_postgres::{Client, Config, NoTls};

use super::postgres_lease::{GRACE, LEASE, hold};
use super::{DamagedRecord, JournalRecord, Lead, LockGuard, LockHolder, StateBackend, StateError};

/// The environment variable naming the server.
pub const DATABASE_URL: &str = "KEYROT_DATABASE_URL";
/// The advisory lock's key: "keyr".
const LOCK_KEY: i64 = 0x6b65_7972;
/// The advisory lock of the leader of `keyrot serve --apply` replicas: "keyl".
const LEADER_KEY: i64 = 0x6b65_796c;
/// The advisory lock of the leader of read-only `keyrot serve` replicas: "keyo".
const READ_ONLY_LEADER_KEY: i64 = 0x6b65_796f;
/// Serializes migrations between keyrots starting at once.
const MIGRATION_KEY: i64 = 0x6b65_796d;
const RETRY_EVERY: Duration = Duration::from_millis(200);

/// The schema, one step per version; a database at version N gets steps N+1 onwards.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE keyrot_journal (
         id bigserial PRIMARY KEY,
         run_id text NOT NULL,
         at timestamptz NOT NULL,
         record jsonb NOT NULL
     );
     CREATE INDEX keyrot_journal_run ON keyrot_journal (run_id);
     CREATE TABLE keyrot_lock_holder (
         lock_key bigint PRIMARY KEY,
         holder jsonb NOT NULL
     );",
    // The holder's lease: a lost session's apply may write until it ends (see postgres_lease).
    "ALTER TABLE keyrot_lock_holder
         ADD COLUMN lease_until timestamptz,
         ADD COLUMN released boolean NOT NULL DEFAULT true;",
    // The holder's session, so that only a stranded holder's own session is ever ended.
    "ALTER TABLE keyrot_lock_holder ADD COLUMN pid integer;",
];

/// State in a PostgreSQL database.
pub struct PostgresBackend {
    config: Config,
    client: Client,
    damaged: std::sync::Mutex<Vec<DamagedRecord>>,
}

impl PostgresBackend {
    /// Connects to the server `url` names (a `postgres://` URL; TLS as its `sslmode` asks) and
    /// brings keyrot's tables up to date. No message ever holds the URL's password.
    pub async fn connect(url: &str) -> Result<Self, StateError> {
        let backend = Self::open(url).await?;
        backend.migrate().await?;
        Ok(backend)
    }

    /// Connects as [`PostgresBackend::connect`] does, for a command that only reads the journal
    /// and the lock's holder: it creates and migrates nothing, so a role granted `SELECT` on
    /// keyrot's tables is enough (the README shows how to create one). `None` when the database
    /// has no keyrot tables yet: no apply has recorded anything there.
    pub async fn connect_for_reading(url: &str) -> Result<Option<Self>, StateError> {
        let backend = Self::open(url).await?;
        match backend.check_schema().await? {
            true => Ok(Some(backend)),
            false => Ok(None),
        }
    }

    async fn open(url: &str) -> Result<Self, StateError> {
        // The driver knows disable, prefer and require; keyrot verifies the certificate
        // whenever it uses TLS, which is what verify-ca and verify-full ask for.
        let url = url
            .replace("sslmode=verify-full", "sslmode=require")
            .replace("sslmode=verify-ca", "sslmode=require");
        let url = url.as_str();
        let config = Config::from_str(url).map_err(|error| {
            storage(format!(
                "{DATABASE_URL} is not a postgres:// URL keyrot can use ({})",
                scrubbed(&error.to_string(), url)
            ))
        })?;
        let client = open(&config).await?;
        Ok(Self {
            config,
            client,
            damaged: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Whether keyrot's tables exist; they are at the version this keyrot knows when they do.
    /// They are not changed.
    async fn check_schema(&self) -> Result<bool, StateError> {
        let exists = self
            .client
            .query_one(
                "SELECT to_regclass('keyrot_schema_version') IS NOT NULL",
                &[],
            )
            .await
            .map_err(database)?;
        if !exists.get::<_, bool>(0) {
            return Ok(false);
        }
        let current = self.schema_version().await?;
        match current.cmp(&MIGRATIONS.len()) {
            std::cmp::Ordering::Equal => Ok(true),
            std::cmp::Ordering::Less => Err(storage(format!(
                "the database's keyrot tables are at version {current}, older than the {} this \
                 keyrot reads; the next `keyrot apply` (with a role that may alter them) \
                 migrates them",
                MIGRATIONS.len()
            ))),
            std::cmp::Ordering::Greater => Err(newer_schema(current)),
        }
    }

    /// The version of keyrot's tables (0 before the first migration).
    async fn schema_version(&self) -> Result<usize, StateError> {
        let row = self
            .client
            .query_opt("SELECT version FROM keyrot_schema_version", &[])
            .await
            .map_err(database)?;
        Ok(row.map_or(0, |row| row.get::<_, i32>(0)) as usize)
    }

    async fn migrate(&self) -> Result<(), StateError> {
        let batch = format!(
            "BEGIN;
             SELECT pg_advisory_xact_lock({MIGRATION_KEY});
             CREATE TABLE IF NOT EXISTS keyrot_schema_version (version integer NOT NULL);"
        );
        self.client.batch_execute(&batch).await.map_err(database)?;
        let current = self.schema_version().await?;
        if current > MIGRATIONS.len() {
            let _ = self.client.batch_execute("ROLLBACK").await;
            return Err(newer_schema(current));
        }
        for step in &MIGRATIONS[current..] {
            self.client.batch_execute(step).await.map_err(database)?;
        }
        let version = i32::try_from(MIGRATIONS.len()).unwrap_or(i32::MAX);
        self.client
            .execute("DELETE FROM keyrot_schema_version", &[])
            .await
            .map_err(database)?;
        self.client
            .execute("INSERT INTO keyrot_schema_version VALUES ($1)", &[&version])
            .await
            .map_err(database)?;
        self.client.batch_execute("COMMIT").await.map_err(database)
    }

    /// Takes the advisory lock `key` for `holder`, waiting up to `timeout`.
    async fn take_lock(
        &self,
        key: i64,
        holder: &LockHolder,
        timeout: Duration,
    ) -> Result<LockGuard, StateError> {
        // A session lock lives as long as its connection: one of its own, kept alive by TCP
        // keepalives and its lease renewals, and never closed by the server for idling.
        let (session, closed) = open_watched(&lock_session_config(&self.config)).await?;
        let _ = session
            .batch_execute(
                "SET idle_session_timeout = 0; SET idle_in_transaction_session_timeout = 0",
            )
            .await;
        let started = Instant::now();
        loop {
            let row = session
                .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                .await
                .map_err(database)?;
            let still_writing = match row.get::<_, bool>(0) {
                // Leading sends no write by itself: a cycle's writes go under the apply lock.
                true if key != LOCK_KEY => None,
                true => self.unreleased_lease(&session, key).await?,
                false => {
                    end_sessions_past_their_lease(&session, key).await;
                    None
                }
            };
            match (row.get::<_, bool>(0), &still_writing) {
                (true, None) => break,
                (true, Some(_)) => {
                    let _ = session
                        .execute("SELECT pg_advisory_unlock($1)", &[&key])
                        .await;
                }
                (false, _) => {}
            }
            if started.elapsed() >= timeout {
                let holder = match still_writing {
                    Some(lease) => lease,
                    None => self.who_holds(key).await?.map_or_else(
                        || "a keyrot that recorded no details".to_owned(),
                        |holder| holder.to_string(),
                    ),
                };
                return Err(StateError::Held {
                    waited: timeout,
                    location: self.location(),
                    holder,
                });
            }
            tokio::time::sleep(RETRY_EVERY).await;
        }
        let details = serde_json::to_string(holder).map_err(|error| storage(error.to_string()))?;
        let granted = std::time::Instant::now();
        session
            .execute(
                "INSERT INTO keyrot_lock_holder (lock_key, holder, lease_until, released, pid)
                 VALUES ($1, $2::text::jsonb, now() + make_interval(secs => $3), false,
                         pg_backend_pid())
                 ON CONFLICT (lock_key) DO UPDATE SET holder = EXCLUDED.holder,
                     lease_until = EXCLUDED.lease_until, released = false,
                     pid = EXCLUDED.pid",
                &[&key, &details, &LEASE.as_secs_f64()],
            )
            .await
            .map_err(database)?;
        let run_id = holder.run_id.clone();
        Ok(hold(session, closed, key, run_id, granted, self.location()))
    }

    /// The previous holder, when its session ended without releasing the lock and its lease
    /// (plus the grace for requests in flight) has not run out: it may still be writing.
    async fn unreleased_lease(
        &self,
        session: &Client,
        key: i64,
    ) -> Result<Option<String>, StateError> {
        let row = session
            .query_opt(
                "SELECT holder::text, to_char((lease_until + make_interval(secs => $2))
                     AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"')
                 FROM keyrot_lock_holder
                 WHERE lock_key = $1 AND NOT released
                   AND lease_until + make_interval(secs => $2) > now()",
                &[&key, &GRACE.as_secs_f64()],
            )
            .await
            .map_err(database)?;
        Ok(row.map(|row| {
            let holder = serde_json::from_str::<LockHolder>(row.get::<_, &str>(0))
                .map_or_else(|_| "a keyrot".to_owned(), |holder| holder.to_string());
            format!(
                "{holder}, whose database session ended while it held the lock: it may still \
                 be finishing a write until {}",
                row.get::<_, &str>(1)
            )
        }))
    }

    /// The recorded holder, if the lock is held now, or was by a holder whose session ended
    /// while its lease (and the grace for its requests in flight) still runs: it may still be
    /// writing. A holder that released its lock, or whose lease ran out, is no holder.
    async fn who_holds(&self, key: i64) -> Result<Option<LockHolder>, StateError> {
        let row = self
            .client
            .query_opt(
                "SELECT h.holder::text FROM keyrot_lock_holder h
                 WHERE h.lock_key = $1 AND (EXISTS (
                     SELECT 1 FROM pg_locks l
                     WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0
                       AND l.objid::bigint = $1 AND l.objsubid = 1
                       AND l.database = (SELECT oid FROM pg_database
                                         WHERE datname = current_database()))
                   OR (NOT h.released
                       AND h.lease_until + make_interval(secs => $2) > now()))",
                &[&key, &GRACE.as_secs_f64()],
            )
            .await
            .map_err(database)?;
        Ok(row.and_then(|row| serde_json::from_str(row.get::<_, &str>(0)).ok()))
    }

    async fn insert(&self, records: &[JournalRecord]) -> Result<(), StateError> {
        for record in records {
            let text = serde_json::to_string(record).map_err(|error| storage(error.to_string()))?;
            let at = record.at.to_string();
            self.client
                .execute(
                    "INSERT INTO keyrot_journal (run_id, at, record)
                     VALUES ($1, $2::text::timestamptz, $3::text::jsonb)",
                    &[&record.run_id, &at, &text],
                )
                .await
                .map_err(database)?;
        }
        Ok(())
    }

    async fn select(&self) -> Result<Vec<JournalRecord>, StateError> {
        let rows = self
            .client
            .query(
                "SELECT id, record::text FROM keyrot_journal ORDER BY id",
                &[],
            )
            .await
            .map_err(database)?;
        let mut records = Vec::with_capacity(rows.len());
        let mut damaged = Vec::new();
        for row in &rows {
            match serde_json::from_str(row.get::<_, &str>(1)) {
                Ok(record) => records.push(record),
                Err(error) => damaged.push(DamagedRecord {
                    place: format!("keyrot_journal row {}", row.get::<_, i64>(0)),
                    error: error.to_string(),
                }),
            }
        }
        *self.damaged.lock().unwrap_or_else(|p| p.into_inner()) = damaged;
        Ok(records)
    }
}

impl StateBackend for PostgresBackend {
    fn location(&self) -> String {
        format!("the postgres database {DATABASE_URL} names")
    }

    fn lock<'a>(
        &'a self,
        holder: &'a LockHolder,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<LockGuard, StateError>> {
        self.take_lock(LOCK_KEY, holder, timeout).boxed()
    }

    fn lead<'a>(
        &'a self,
        lead: Lead,
        holder: &'a LockHolder,
    ) -> BoxFuture<'a, Result<LockGuard, StateError>> {
        let key = match lead {
            Lead::Apply => LEADER_KEY,
            Lead::ReadOnly => READ_ONLY_LEADER_KEY,
        };
        self.take_lock(key, holder, Duration::ZERO).boxed()
    }

    fn holder(&self) -> BoxFuture<'_, Result<Option<LockHolder>, StateError>> {
        self.who_holds(LOCK_KEY).boxed()
    }

    fn append<'a>(&'a self, records: &'a [JournalRecord]) -> BoxFuture<'a, Result<(), StateError>> {
        self.insert(records).boxed()
    }

    fn set_damaged_aside(&self) -> BoxFuture<'_, Result<String, StateError>> {
        async move {
            self.client
                .batch_execute(
                    "CREATE TABLE IF NOT EXISTS keyrot_journal_damaged (LIKE keyrot_journal)",
                )
                .await
                .map_err(database)?;
            for damaged in self.damaged() {
                let Some(id) = damaged
                    .place
                    .strip_prefix("keyrot_journal row ")
                    .and_then(|id| id.parse::<i64>().ok())
                else {
                    continue;
                };
                self.client
                    .execute(
                        "WITH moved AS (DELETE FROM keyrot_journal WHERE id = $1 RETURNING *)
                         INSERT INTO keyrot_journal_damaged SELECT * FROM moved",
                        &[&id],
                    )
                    .await
                    .map_err(database)?;
            }
            Ok("the table keyrot_journal_damaged".to_owned())
        }
        .boxed()
    }

    fn damaged(&self) -> Vec<DamagedRecord> {
        self.damaged
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn records(&self) -> BoxFuture<'_, Result<Vec<JournalRecord>, StateError>> {
        self.select().boxed()
    }
}

/// Tables at `version`, which this keyrot does not know.
fn newer_schema(version: usize) -> StateError {
    storage(format!(
        "the database's keyrot tables are at version {version}, newer than the {} this keyrot \
         knows; use a newer keyrot",
        MIGRATIONS.len()
    ))
}

/// Ends the session of the holder of the advisory lock `key` whose lease, and the grace for
/// its requests in flight, ran out while it still holds the lock: a holder cut off from the
/// database (a lost network) writes nothing after its lease, but the server keeps its lock
/// until TCP gives up on it, which may take hours. Only the session the holder recorded is
/// ended (a newer holder that has not recorded itself yet is not). Best effort: a role that may
/// not end it (neither the same role nor a member of pg_signal_backend) waits as before.
async fn end_sessions_past_their_lease(session: &Client, key: i64) {
    let _ = session
        .execute(
            "SELECT pg_terminate_backend(l.pid) FROM pg_locks l, keyrot_lock_holder h
             WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0
               AND l.objid::bigint = $1 AND l.objsubid = 1
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND h.lock_key = $1 AND NOT h.released AND l.pid = h.pid
               AND h.lease_until + make_interval(secs => $2) < now()",
            &[&key, &GRACE.as_secs_f64()],
        )
        .await;
}

/// The lock session's settings: TCP keepalives that notice a dead peer while the session idles
/// (a renewal the server does not answer within 5 s counts as a lost lock).
fn lock_session_config(config: &Config) -> Config {
    let mut config = config.clone();
    config
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(30))
        .keepalives_interval(Duration::from_secs(10))
        .keepalives_retries(3);
    config
}

/// As [`open`], with a flag set the moment the connection ends (the server closed it, the
/// network dropped it): the lock's session is checked before every write without waiting for
/// its next lease renewal.
async fn open_watched(config: &Config) -> Result<(Client, Arc<AtomicBool>), StateError> {
    let closed = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&closed);
    let watch = move |connection: BoxFuture<'static, ()>| {
        tokio::spawn(async move {
            connection.await;
            flag.store(true, Ordering::SeqCst);
        });
    };
    let client = connect(config, watch).await?;
    Ok((client, closed))
}

/// A connection, with TLS unless `sslmode=disable`. With TLS the server's certificate is
/// verified as the system verifies certificates, whatever the mode.
async fn open(config: &Config) -> Result<Client, StateError> {
    connect(config, |connection| {
        tokio::spawn(connection);
    })
    .await
}

/// Connects, handing the connection's future (which runs until it ends) to `run`.
async fn connect(
    config: &Config,
    run: impl FnOnce(BoxFuture<'static, ()>),
) -> Result<Client, StateError> {
    if config.get_ssl_mode() == SslMode::Disable {
        let (client, connection) = config.connect(NoTls).await.map_err(database)?;
        run(connection.map(drop).boxed());
        return Ok(client);
    }
    let tls = tls_config()?;
    let connector = tokio_postgres_rustls::MakeRustlsConnect::new(tls);
    let (client, connection) = config.connect(connector).await.map_err(database)?;
    run(connection.map(drop).boxed());
    Ok(client)
}

fn tls_config() -> Result<rustls::ClientConfig, StateError> {
    use rustls_platform_verifier::ConfigVerifierExt;
    rustls::ClientConfig::with_platform_verifier()
        .map_err(|error| storage(format!("cannot set up TLS: {error}")))
}

/// The server's own code and message when it sent one; otherwise the driver's words and
/// their cause (connection refused, ...). Never the URL.
fn database(error: tokio_postgres::Error) -> StateError {
    if let Some(db) = error.as_db_error() {
        return storage(format!(
            "the server said {} {}: {}",
            db.severity(),
            db.code().code(),
            db.message()
        ));
    }
    let mut detail = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        detail.push_str(&format!(": {inner}"));
        cause = inner.source();
    }
    storage(detail)
}

fn storage(detail: String) -> StateError {
    StateError::Storage {
        location: format!("the postgres database {DATABASE_URL} names"),
        detail,
    }
}

/// `message` with the URL's password, if any, blanked out.
fn scrubbed(message: &str, url: &str) -> String {
    let password = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(credentials, _)| credentials.split_once(':'))
        .map(|(_, password)| password)
        .filter(|password| !password.is_empty());
    match password {
        Some(password) => message.replace(password, "[password]"),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_url_is_refused_without_its_password() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let url = "postgres://keyrot:hunter2-s3cret@127.0.0.1:notaport/db";
        let error = match runtime.block_on(PostgresBackend::connect(url)) {
            Err(error) => error.to_string(),
            Ok(_) => panic!("a bad port connects"),
        };
        assert!(error.contains(DATABASE_URL), "{error}");
        assert!(!error.contains("hunter2-s3cret"), "{error}");
    }

    #[test]
    fn the_password_is_scrubbed_from_messages() {
        let url = "postgres://keyrot:pa55@db.internal:5432/keyrot";
        assert_eq!(scrubbed("bad pa55 here", url), "bad [password] here");
        assert_eq!(scrubbed("fine", "postgres://db/keyrot"), "fine");
    }
}

//! What keyrot keeps that only it can know: who is applying now (the lock), and every write it
//! sent (the write-ahead journal, which is also the history). Two backends: `local`, files in
//! `.keyrot/` beside the desired-state file, and `postgres`, for several machines.

mod holder;
mod ledger;
mod local;
mod postgres;
mod record;

use std::any::Any;
use std::fmt;
use std::time::Duration;

use futures_util::future::BoxFuture;

pub use holder::{LockHolder, new_run_id};
pub use ledger::{Ledger, Write};
pub use local::LocalBackend;
pub use postgres::{DATABASE_URL, PostgresBackend};
pub use record::{Intent, JournalEntry, JournalRecord, WriteAction, WriteOutcome};

/// A held lock; dropping it releases the lock.
pub struct LockGuard(#[allow(dead_code, reason = "held for its Drop")] Box<dyn Any + Send>);

impl LockGuard {
    /// A guard that releases the lock when `held` is dropped.
    pub fn new(held: impl Any + Send) -> Self {
        Self(Box::new(held))
    }
}

impl fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("LockGuard")
    }
}

/// Where the lock and the journal live.
pub trait StateBackend: Send + Sync {
    /// Where the state is, for messages: `.keyrot/ beside keyrot.yaml`, `postgres`.
    fn location(&self) -> String;

    /// Takes the exclusive apply lock for `holder`, waiting up to `timeout` for another holder
    /// to release it.
    fn lock<'a>(
        &'a self,
        holder: &'a LockHolder,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<LockGuard, StateError>>;

    /// Who holds the lock now, if anyone; never takes it for more than a moment.
    fn holder(&self) -> BoxFuture<'_, Result<Option<LockHolder>, StateError>>;

    /// Appends `records` to the journal; returns once they are durable.
    fn append<'a>(&'a self, records: &'a [JournalRecord]) -> BoxFuture<'a, Result<(), StateError>>;

    /// Appends `records` to the journal; may return before they are durable (an outcome: if it
    /// is lost in a crash, the next run settles its intent by reading the resource).
    fn append_soon<'a>(
        &'a self,
        records: &'a [JournalRecord],
    ) -> BoxFuture<'a, Result<(), StateError>> {
        self.append(records)
    }

    /// Returns once everything appended so far is durable.
    fn flush(&self) -> BoxFuture<'_, Result<(), StateError>> {
        Box::pin(async { Ok(()) })
    }

    /// Every journal record, oldest first.
    fn records(&self) -> BoxFuture<'_, Result<Vec<JournalRecord>, StateError>>;
}

/// The state could not be read or written, or the lock is held.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Another apply holds the lock.
    #[error(
        "another apply holds the lock in {location}: {holder}; nothing was read or written. Wait \
         for it to finish, or pass --lock-timeout DURATION to wait for it"
    )]
    Held {
        /// Where the lock is.
        location: String,
        /// Who holds it, as far as it recorded.
        holder: String,
    },
    /// The state's storage failed.
    #[error("{location}: {detail}")]
    Storage {
        /// Where.
        location: String,
        /// What went wrong.
        detail: String,
    },
}

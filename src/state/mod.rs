//! What keyrot keeps that only it can know: who is applying now (the lock), and every write it
//! sent (the write-ahead journal, which is also the history). Two backends: `local`, files in
//! `.keyrot/` beside the desired-state file, and `postgres`, for several machines.

mod holder;
mod ledger;
mod local;
mod postgres;
mod postgres_lease;
mod record;

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

pub use holder::{LockHolder, new_run_id};
pub use ledger::{Ledger, Write};
pub use local::LocalBackend;
pub use postgres::{DATABASE_URL, PostgresBackend};
pub use record::{DamagedRecord, Intent, JournalEntry, JournalRecord, WriteAction, WriteOutcome};

/// Whether a lock this process took is still its own: asked right before every write leaves,
/// so it never waits for I/O.
pub trait LockCheck: Send + Sync {
    /// `Ok` with how much longer a write sent now may run (`None`: no bound) while the lock is
    /// held; why it is not, otherwise.
    fn still_held(&self) -> Result<Option<Duration>, StateError>;
}

/// A held lock; dropping it releases the lock, [`LockGuard::release`] does so and waits until
/// the backend has recorded it.
pub struct LockGuard {
    #[allow(dead_code, reason = "held for its Drop")]
    held: Box<dyn Any + Send>,
    check: Arc<dyn LockCheck>,
    release: Option<BoxFuture<'static, ()>>,
}

impl LockGuard {
    /// A guard that releases the lock when `held` is dropped, checked by `check`; `release`,
    /// if any, runs first when the lock is released on purpose.
    pub fn new(
        held: impl Any + Send,
        check: Arc<dyn LockCheck>,
        release: Option<BoxFuture<'static, ()>>,
    ) -> Self {
        Self {
            held: Box::new(held),
            check,
            release,
        }
    }

    /// What tells whether the lock is still held.
    pub fn check(&self) -> Arc<dyn LockCheck> {
        Arc::clone(&self.check)
    }

    /// Releases the lock and waits until the backend has recorded that.
    pub async fn release(mut self) {
        if let Some(release) = self.release.take() {
            release.await;
        }
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

    /// Takes the lead `lead` among `keyrot serve` processes sharing this state for `holder`,
    /// at once or not at all ([`StateError::Held`] names the leader). Leading is a lock of its
    /// own, apart from the apply lock, which the leader takes for each cycle that writes.
    fn lead<'a>(
        &'a self,
        lead: Lead,
        holder: &'a LockHolder,
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

    /// Every journal record that can be read, oldest first; one that cannot is skipped and
    /// listed by [`StateBackend::damaged`].
    fn records(&self) -> BoxFuture<'_, Result<Vec<JournalRecord>, StateError>>;

    /// The records the last [`StateBackend::records`] skipped because they could not be read.
    fn damaged(&self) -> Vec<DamagedRecord>;

    /// Moves the damaged records out of the journal, keeping them elsewhere, and every record
    /// that can be read in it; called with the lock held. Returns where they went.
    fn set_damaged_aside(&self) -> BoxFuture<'_, Result<String, StateError>>;
}

/// Which lead a `keyrot serve` takes: replicas that apply and replicas that only read elect
/// their leaders apart, so a read-only replica never keeps one that applies from leading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lead {
    /// Among `keyrot serve --apply` replicas.
    Apply,
    /// Among read-only `keyrot serve` replicas.
    ReadOnly,
}

/// What a run that found the lock held says: who holds it, and how to wait for it.
fn held(location: &str, holder: &str, waited: std::time::Duration) -> String {
    match waited.as_secs() {
        0 => format!(
            "another apply holds the lock in {location}: {holder}; nothing was read or written. \
             Wait for it to finish, or pass --lock-timeout DURATION to wait for it"
        ),
        _ => format!(
            "another apply still holds the lock in {location} after {} of waiting \
             (--lock-timeout): {holder}; nothing was read or written. Wait longer with a larger \
             --lock-timeout, or ask its holder what it is doing",
            jiff::SignedDuration::try_from(waited)
                .map(crate::config::format_duration)
                .unwrap_or_else(|_| format!("{}s", waited.as_secs()))
        ),
    }
}

/// The state could not be read or written, or the lock is held.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Another apply holds the lock, and still did when `--lock-timeout` ran out.
    #[error("{}", held(location, holder, *waited))]
    Held {
        /// Where the lock is.
        location: String,
        /// Who holds it, as far as it recorded.
        holder: String,
        /// How long this run waited for it (`--lock-timeout`).
        waited: std::time::Duration,
    },
    /// The lock this run held is no longer its own: no write may start.
    #[error(
        "the apply lock in {location} was lost ({detail}); keyrot started no write after \
         that. Run apply again: it settles what was in flight"
    )]
    LockLost {
        /// Where the lock was.
        location: String,
        /// How it was lost.
        detail: String,
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_lock_held_past_the_wait_says_how_long_it_waited() {
        let at_once = held("the database", "ci@runner", Duration::ZERO);
        assert!(
            at_once.ends_with("pass --lock-timeout DURATION to wait for it"),
            "{at_once}"
        );
        let waited = held("the database", "ci@runner", Duration::from_secs(300));
        assert!(
            waited.starts_with(
                "another apply still holds the lock in the database after 5m of waiting \
                 (--lock-timeout): ci@runner;"
            ),
            "{waited}"
        );
    }
}

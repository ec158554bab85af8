//! The postgres lock's lease. The advisory lock lives as long as its session, and a session can
//! die unseen (a network blip, a pooler, `idle_session_timeout`) while the apply still runs. So
//! the holder also keeps a lease in `keyrot_lock_holder`, renewed on the lock's own session;
//! a write may leave only while the lease runs, and no longer than it runs; and a later apply
//! that finds an unreleased lease waits until it and a grace for answers in flight are over.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use tokio::sync::oneshot;
use tokio_postgres::Client;

use super::{LockCheck, LockGuard, StateError};

/// How long a lease runs from its last renewal. With [`GRACE`], how long after its holder
/// dies a lock stays taken: short enough that a standby `keyrot serve` leads within 30 s.
pub const LEASE: Duration = Duration::from_secs(20);
/// How often the holder renews it; a renewal the server does not answer within this long
/// counts as a lost lock.
const RENEW_EVERY: Duration = Duration::from_secs(5);
/// How long after a lease ends a request sent under it may still reach the server and act.
pub const GRACE: Duration = Duration::from_secs(10);

/// The lease as the holder knows it.
struct Lease {
    /// Until when (by this machine's monotonic clock) a write may run: the renewal's send time
    /// plus [`LEASE`], never later than the end the server recorded.
    valid_until: Instant,
    /// Why the lock is lost, once it is.
    lost: Option<String>,
}

/// Checks the lease; shared by the guard and the write gate.
struct LeaseCheck {
    lease: Arc<Mutex<Lease>>,
    /// Set the moment the lock's session ends.
    closed: Arc<AtomicBool>,
    location: String,
}

impl LockCheck for LeaseCheck {
    fn still_held(&self) -> Result<Option<Duration>, StateError> {
        let lease = self.lease.lock().unwrap_or_else(|p| p.into_inner());
        let lost = |detail: String| StateError::LockLost {
            location: self.location.clone(),
            detail,
        };
        if let Some(reason) = &lease.lost {
            return Err(lost(reason.clone()));
        }
        if self.closed.load(Ordering::SeqCst) {
            return Err(lost("its database session ended".to_owned()));
        }
        let left = lease.valid_until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(lost(format!(
                "its lease could not be renewed for {}s: the database did not answer",
                LEASE.as_secs()
            )));
        }
        Ok(Some(left))
    }
}

/// The session holding the advisory lock `key` for run `run_id`, whose lease was granted by a
/// statement sent at `granted`: a guard that renews the lease until it is released.
pub fn hold(
    session: Client,
    closed: Arc<AtomicBool>,
    key: i64,
    run_id: String,
    granted: Instant,
    location: String,
) -> LockGuard {
    let lease = Arc::new(Mutex::new(Lease {
        valid_until: granted + LEASE,
        lost: None,
    }));
    let (release, released) = oneshot::channel::<()>();
    let (done, finished) = oneshot::channel::<()>();
    let renewing = Renewal {
        session,
        key,
        run_id,
        lease: Arc::clone(&lease),
    };
    tokio::spawn(async move {
        renewing.run(released).await;
        let _ = done.send(());
    });
    let check = Arc::new(LeaseCheck {
        lease,
        closed,
        location,
    });
    let release_now = async move {
        let _ = release.send(());
        let _ = finished.await;
    };
    LockGuard::new((), check, Some(release_now.boxed()))
}

/// The task that owns the lock's session.
struct Renewal {
    session: Client,
    key: i64,
    run_id: String,
    lease: Arc<Mutex<Lease>>,
}

impl Renewal {
    /// Renews until told to release (or until the guard is gone), then records the release
    /// and closes the session, which frees the advisory lock.
    async fn run(self, mut released: oneshot::Receiver<()>) {
        let mut ticks = tokio::time::interval(RENEW_EVERY);
        ticks.tick().await;
        loop {
            tokio::select! {
                _ = &mut released => break,
                _ = ticks.tick() => {
                    // A renewal the server does not answer in time counts as lost: TCP may
                    // take minutes to give up on a dead peer.
                    let renewed = tokio::time::timeout(RENEW_EVERY, self.renew()).await;
                    if renewed != Ok(true) {
                        self.lose("the database did not answer a lease renewal in time");
                        return;
                    }
                }
            }
        }
        let _ = self
            .session
            .execute(
                "UPDATE keyrot_lock_holder SET released = true, lease_until = now()
                 WHERE lock_key = $1 AND holder->>'run_id' = $2",
                &[&self.key, &self.run_id],
            )
            .await;
        // Unlocked here rather than when the connection closes, so the release is complete
        // (and seen by every other session) when `LockGuard::release` returns.
        let _ = self
            .session
            .execute("SELECT pg_advisory_unlock($1)", &[&self.key])
            .await;
    }

    /// Marks the lock lost, unless a reason is already recorded.
    fn lose(&self, reason: &str) {
        let mut lease = self.lease.lock().unwrap_or_else(|p| p.into_inner());
        lease.lost.get_or_insert_with(|| reason.to_owned());
    }

    /// One renewal, only while this session holds the advisory lock; false once it is lost.
    async fn renew(&self) -> bool {
        let sent = Instant::now();
        let renewed = self
            .session
            .execute(
                "UPDATE keyrot_lock_holder
                 SET lease_until = now() + make_interval(secs => $3)
                 WHERE lock_key = $1 AND holder->>'run_id' = $2 AND EXISTS (
                     SELECT 1 FROM pg_locks l
                     WHERE l.locktype = 'advisory' AND l.granted AND l.pid = pg_backend_pid()
                       AND l.classid = 0 AND l.objid::bigint = $1 AND l.objsubid = 1)",
                &[&self.key, &self.run_id, &LEASE.as_secs_f64()],
            )
            .await;
        let mut lease = self.lease.lock().unwrap_or_else(|p| p.into_inner());
        match renewed {
            Ok(1) => {
                lease.valid_until = sent + LEASE;
                true
            }
            Ok(_) => {
                lease.lost = Some("the server no longer holds it for this apply".to_owned());
                false
            }
            Err(error) => {
                lease.lost = Some(format!("its database session failed: {error}"));
                false
            }
        }
    }
}

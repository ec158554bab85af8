//! The gate every write (any request but a GET) passes right before it leaves, after any wait
//! for the request budget: shut once the apply's lock (or `keyrot serve`'s lead) is lost, and
//! bounding how long the write may run to how long both are still held.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Why writes may no longer leave: the apply's lock was lost, in the lock's own words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LockLost(pub String);

/// Says whether a write may leave now: `Ok` with how long it may run at most (`None`: no
/// bound), or why not.
pub type GateCheck = Arc<dyn Fn() -> Result<Option<Duration>, LockLost> + Send + Sync>;

/// Shared by every sender of a run; open until a check is installed.
#[derive(Clone, Default)]
pub struct WriteGate(Arc<Mutex<Checks>>);

/// The checks a write must pass.
#[derive(Clone, Default)]
struct Checks {
    /// The apply's lock: replaced by each apply.
    run: Option<GateCheck>,
    /// What every apply of this process must also hold: `keyrot serve`'s lead.
    standing: Option<GateCheck>,
}

impl fmt::Debug for WriteGate {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("WriteGate")
    }
}

impl WriteGate {
    /// From now on, every write asks `check` first (in place of the last apply's).
    pub fn guard_with(&self, check: GateCheck) {
        self.lock().run = Some(check);
    }

    /// From now on, every write of every apply also asks `check`.
    pub fn always_require(&self, check: GateCheck) {
        self.lock().standing = Some(check);
    }

    /// Whether a write may leave now, and for how long it may run: the shorter of what the
    /// checks allow.
    pub fn check(&self) -> Result<Option<Duration>, LockLost> {
        let checks = self.lock().clone();
        let mut left: Option<Duration> = None;
        for check in [checks.standing, checks.run].into_iter().flatten() {
            if let Some(bound) = check()? {
                left = Some(left.map_or(bound, |left| left.min(bound)));
            }
        }
        Ok(left)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Checks> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_is_open_until_a_check_shuts_it() {
        let gate = WriteGate::default();
        assert_eq!(gate.check(), Ok(None));
        let shared = gate.clone();
        shared.guard_with(Arc::new(|| Err(LockLost("the lock was lost".to_owned()))));
        assert_eq!(gate.check(), Err(LockLost("the lock was lost".to_owned())));
    }

    #[test]
    fn a_standing_check_holds_across_applies_and_the_shorter_bound_wins() {
        let gate = WriteGate::default();
        let seconds = |n| Duration::from_secs(n);
        gate.always_require(Arc::new(move || Ok(Some(seconds(12)))));
        gate.guard_with(Arc::new(move || Ok(Some(seconds(20)))));
        assert_eq!(gate.check(), Ok(Some(seconds(12))));
        gate.guard_with(Arc::new(move || Ok(Some(seconds(5)))));
        assert_eq!(gate.check(), Ok(Some(seconds(5))));
        gate.always_require(Arc::new(|| Err(LockLost("no longer leading".to_owned()))));
        assert_eq!(gate.check(), Err(LockLost("no longer leading".to_owned())));
    }
}

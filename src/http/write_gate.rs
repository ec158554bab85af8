//! The gate every write (any request but a GET) passes right before it leaves, after any wait
//! for the request budget: shut once the apply's lock is lost, and bounding how long the write
//! may run to how long the lock is still held.

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
pub struct WriteGate(Arc<Mutex<Option<GateCheck>>>);

impl fmt::Debug for WriteGate {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("WriteGate")
    }
}

impl WriteGate {
    /// From now on, every write asks `check` first.
    pub fn guard_with(&self, check: GateCheck) {
        *self.lock() = Some(check);
    }

    /// Whether a write may leave now, and for how long it may run.
    pub fn check(&self) -> Result<Option<Duration>, LockLost> {
        let check = self.lock().clone();
        check.map_or(Ok(None), |check| check())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<GateCheck>> {
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
}

//! A shared "stop starting new actions" signal: set by Ctrl-C or by `--fail-fast`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

/// Why a run stopped starting new actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The user pressed Ctrl-C.
    Interrupted,
    /// An action failed and `--fail-fast` was given.
    FailFast,
    /// The journal could not be written, so no further write may be sent.
    JournalFailed,
}

/// Cloneable and shareable across tasks.
#[derive(Clone, Debug, Default)]
pub struct StopSignal(Arc<AtomicU8>);

const RUNNING: u8 = 0;
const INTERRUPTED: u8 = 1;
const FAIL_FAST: u8 = 2;
const JOURNAL_FAILED: u8 = 3;

impl StopSignal {
    /// A signal that has not fired.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fires the signal. An interrupt always wins, so a Ctrl-C is reported as one even after
    /// `--fail-fast` stopped the run.
    pub fn stop(&self, reason: StopReason) {
        match reason {
            StopReason::Interrupted => self.0.store(INTERRUPTED, Ordering::SeqCst),
            StopReason::FailFast => self.stop_if_running(FAIL_FAST),
            StopReason::JournalFailed => self.stop_if_running(JOURNAL_FAILED),
        }
    }

    fn stop_if_running(&self, reason: u8) {
        let _ = self
            .0
            .compare_exchange(RUNNING, reason, Ordering::SeqCst, Ordering::SeqCst);
    }

    /// Why the signal fired, if it did.
    pub fn reason(&self) -> Option<StopReason> {
        match self.0.load(Ordering::SeqCst) {
            INTERRUPTED => Some(StopReason::Interrupted),
            FAIL_FAST => Some(StopReason::FailFast),
            JOURNAL_FAILED => Some(StopReason::JournalFailed),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupt_wins_over_fail_fast() {
        let signal = StopSignal::new();
        assert_eq!(signal.reason(), None);
        signal.stop(StopReason::FailFast);
        assert_eq!(signal.reason(), Some(StopReason::FailFast));
        signal.clone().stop(StopReason::Interrupted);
        assert_eq!(signal.reason(), Some(StopReason::Interrupted));
        signal.stop(StopReason::FailFast);
        assert_eq!(signal.reason(), Some(StopReason::Interrupted));
    }
}

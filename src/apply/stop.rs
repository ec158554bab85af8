//! A shared "stop starting new actions" signal, set by a signal (SIGINT, SIGTERM, SIGHUP), by
//! `--fail-fast` or by a journal that cannot be written; and, after a second signal, "stop
//! waiting for answers in flight" (received secrets are still delivered).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use tokio::sync::Notify;

/// A signal that stops a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT: Ctrl-C.
    Interrupt,
    /// SIGTERM: `timeout`, systemd, Kubernetes, a cancelled CI job.
    Terminate,
    /// SIGHUP: the terminal or ssh session went away.
    HangUp,
}

impl Signal {
    /// The signal's number, as in the exit code 128 + N.
    pub fn number(self) -> u8 {
        match self {
            Self::Interrupt => 2,
            Self::Terminate => 15,
            Self::HangUp => 1,
        }
    }

    /// How messages name it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Interrupt => "Ctrl-C",
            Self::Terminate => "SIGTERM",
            Self::HangUp => "SIGHUP",
        }
    }
}

/// Why a run stopped starting new actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// A signal asked it to stop.
    Interrupted(Signal),
    /// An action failed and `--fail-fast` was given.
    FailFast,
    /// The journal could not be written, so no further write may be sent.
    JournalFailed,
}

/// Cloneable and shareable across tasks.
#[derive(Clone, Debug, Default)]
pub struct StopSignal(Arc<Shared>);

#[derive(Debug, Default)]
struct Shared {
    reason: AtomicU8,
    abandoned: AtomicBool,
    abandon: Notify,
}

const RUNNING: u8 = 0;
const FAIL_FAST: u8 = 2;
const JOURNAL_FAILED: u8 = 3;
const INTERRUPT: u8 = 10;
const TERMINATE: u8 = 11;
const HANG_UP: u8 = 12;

impl StopSignal {
    /// A signal that has not fired.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fires the signal. A signal always wins, so an interrupt is reported as one even after
    /// `--fail-fast` stopped the run; the first signal is the one reported.
    pub fn stop(&self, reason: StopReason) {
        let code = match reason {
            StopReason::Interrupted(Signal::Interrupt) => INTERRUPT,
            StopReason::Interrupted(Signal::Terminate) => TERMINATE,
            StopReason::Interrupted(Signal::HangUp) => HANG_UP,
            StopReason::FailFast => FAIL_FAST,
            StopReason::JournalFailed => JOURNAL_FAILED,
        };
        let reason = &self.0.reason;
        let _ = reason.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |current| {
            let replaceable = current == RUNNING || (current < INTERRUPT && code >= INTERRUPT);
            replaceable.then_some(code)
        });
    }

    /// Why the signal fired, if it did.
    pub fn reason(&self) -> Option<StopReason> {
        match self.0.reason.load(Ordering::SeqCst) {
            INTERRUPT => Some(StopReason::Interrupted(Signal::Interrupt)),
            TERMINATE => Some(StopReason::Interrupted(Signal::Terminate)),
            HANG_UP => Some(StopReason::Interrupted(Signal::HangUp)),
            FAIL_FAST => Some(StopReason::FailFast),
            JOURNAL_FAILED => Some(StopReason::JournalFailed),
            _ => None,
        }
    }

    /// The signal that stopped the run, if one did.
    pub fn signal(&self) -> Option<Signal> {
        match self.reason() {
            Some(StopReason::Interrupted(signal)) => Some(signal),
            _ => None,
        }
    }

    /// Stops waiting for answers still in flight (a second signal).
    pub fn abandon(&self) {
        self.0.abandoned.store(true, Ordering::SeqCst);
        self.0.abandon.notify_waiters();
    }

    /// Completes once [`StopSignal::abandon`] was called.
    pub async fn abandoned(&self) {
        loop {
            let notified = self.0.abandon.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.0.abandoned.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_wins_over_fail_fast_and_the_first_signal_is_kept() {
        let signal = StopSignal::new();
        assert_eq!(signal.reason(), None);
        signal.stop(StopReason::FailFast);
        assert_eq!(signal.reason(), Some(StopReason::FailFast));
        signal
            .clone()
            .stop(StopReason::Interrupted(Signal::Terminate));
        assert_eq!(signal.signal(), Some(Signal::Terminate));
        signal.stop(StopReason::FailFast);
        signal.stop(StopReason::Interrupted(Signal::HangUp));
        assert_eq!(signal.signal(), Some(Signal::Terminate));
    }

    #[test]
    fn abandoning_wakes_a_waiter_registered_before_or_after() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let signal = StopSignal::new();
        let waiter = signal.clone();
        runtime.block_on(async {
            let waiting = tokio::spawn(async move { waiter.abandoned().await });
            tokio::task::yield_now().await;
            signal.abandon();
            waiting.await.unwrap();
            signal.abandoned().await;
        });
    }
}

//! The signals `keyrot serve` answers: SIGTERM and SIGINT stop it (after the cycle in flight
//! settles; a second one stops waiting for answers), SIGHUP re-reads the desired-state file.

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::apply::Signal;

/// What a signal asks of the loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Finish, settle, release the lead and exit 0.
    Stop(Signal),
    /// Re-read the desired-state file.
    Reload,
}

/// Starts listening for the signals; each arrives on the receiver as a [`Control`].
pub fn listen() -> std::io::Result<mpsc::UnboundedReceiver<Control>> {
    let (sender, receiver) = mpsc::unbounded_channel();
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut hang_up = signal(SignalKind::hangup())?;
    tokio::spawn(async move {
        loop {
            let control = tokio::select! {
                _ = terminate.recv() => Control::Stop(Signal::Terminate),
                _ = interrupt.recv() => Control::Stop(Signal::Interrupt),
                _ = hang_up.recv() => Control::Reload,
            };
            if sender.send(control).is_err() {
                return;
            }
        }
    });
    Ok(receiver)
}

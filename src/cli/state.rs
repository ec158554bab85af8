//! The state backend of a run, and who this run is, as the lock and the journal record it.

use std::path::Path;

use jiff::Timestamp;

use super::output::env_var;
use crate::config::DesiredState;
use crate::state::{LocalBackend, LockHolder, StateBackend, new_run_id};

/// The state backend `desired` uses: `.keyrot/` beside the desired-state file.
pub fn backend(desired: &DesiredState) -> Box<dyn StateBackend> {
    Box::new(LocalBackend::beside(Path::new(&desired.source)))
}

/// This process as a lock holder, with a new run ID and its command line.
pub fn this_run(now: Timestamp) -> LockHolder {
    LockHolder::this_process(&new_run_id(), &command_line(), now, &env_var)
}

/// The command line as typed, program name shortened to `keyrot`. Credentials never come
/// from arguments, so it holds none.
fn command_line() -> String {
    let mut words: Vec<String> = std::env::args().skip(1).collect();
    words.insert(0, "keyrot".to_owned());
    words.join(" ")
}

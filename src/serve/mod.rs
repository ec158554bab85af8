//! `keyrot serve`, the continuous reconciler: one leader among the replicas sharing a state
//! runs a cycle (read, plan and, with `--apply`, apply) every `--every`; every replica answers
//! `/metrics`, `/healthz`, `/readyz` and `/status`, logs each event (and posts it to the alert
//! webhook), and answers SIGTERM,
//! SIGINT and SIGHUP. What a cycle does is the command line's ([`Cycle`]).

mod cycle;
mod events;
#[cfg(test)]
mod fixtures;
mod http;
mod log;
mod metrics;
mod reads;
mod reconciler;
mod resources;
mod schedule;
mod shared;
mod signals;
mod status;
mod webhook;

pub use cycle::{Cycle, CycleFailure, CycleReport};
pub use events::ServeEvent;
pub use http::{router, serve as serve_http};
pub use log::{LogFormat, duration_in_words, init as init_log};
pub use reconciler::{Reconciler, Reload, ReloadError};
pub use shared::Shared;
pub use signals::{Control, listen as listen_for_signals};
pub use status::{CycleOutcome, Role, Status};
pub use webhook::{ALERT_FORMAT_VERSION, Alert, Webhook};

//! The shared HTTP layer: base URLs, one client per provider, timeouts, rate limiting, retries.

mod base_url;
mod budget_watch;
mod client;
mod events;
mod rate_limit;
mod retry;
mod sender;
mod server_clock;
mod shared_budget;
mod write_gate;

pub use base_url::{BaseUrlError, endpoint, parse_base_url};
pub use budget_watch::BudgetWatch;
pub use client::{CONNECT_TIMEOUT, describe_transport_error};
pub use events::{EventSink, HttpEvent};
pub use rate_limit::SlidingWindowLimiter;
pub use retry::RetryPolicy;
pub use sender::{
    HttpResponse, HttpSender, HttpSettings, Idempotency, REQUEST_TIMEOUT, TransportError,
};
pub use server_clock::{ClockTrouble, ServerClock};
pub use shared_budget::SharedBudgets;
pub use write_gate::{GateCheck, LockLost, WriteGate};

//! Every answer carries the sandbox's own time in its `Date` header, as a real API carries the
//! real time: a sandbox started at another instant (`--now`) tells keyrot what time it is.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::DATE;
use axum::middleware::Next;
use axum::response::Response;
use jiff::fmt::rfc2822::DateTimePrinter;

use super::state::SandboxState;

/// Stamps the answer with the sandbox clock's instant.
pub(crate) async fn stamp_date(
    State(state): State<Arc<SandboxState>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let mut date = String::new();
    let shown = state
        .clock
        .now()
        .saturating_add(state.faults.next_date_offset())
        .unwrap_or_else(|_| state.clock.now());
    let printed = DateTimePrinter::new().print_timestamp_rfc9110(&shown, &mut date);
    if let (Ok(()), Ok(value)) = (printed, HeaderValue::from_str(&date)) {
        response.headers_mut().insert(DATE, value);
    }
    response
}

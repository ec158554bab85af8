//! One vendor's simulated API, as the vendor's own folder writes it from the vendor's
//! documents: its state, its routes, its error shape, and how a shell reaches it.

use std::any::Any;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;

use super::state::SandboxState;

/// A simulated vendor inside the sandbox. Its handlers reach its state through
/// [`SandboxState::simulated`], so a sandbox holds any set of vendors.
pub trait Simulated: Any + Send + Sync {
    /// Its routes.
    fn routes(&self) -> Router<Arc<SandboxState>>;

    /// True when `path` is under its routes: requests there get its error shape.
    fn serves(&self, path: &str) -> bool;

    /// True when it answers paths no vendor's routes are under (one vendor does: the one a
    /// base URL missing its path, like Cloudflare's without `/client/v4`, reaches).
    fn answers_unclaimed_paths(&self) -> bool;

    /// An error answer in the vendor's own shape.
    fn failure(&self, status: StatusCode, code: i64, message: &str) -> Response;

    /// The vendor's answer to a path under its routes that it has no route for.
    fn no_route(&self) -> Response;

    /// The environment variables that point keyrot at it on `address`, with the credentials
    /// it accepts, in the order a shell should set them.
    fn environment(&self, address: SocketAddr) -> Vec<(&'static str, String)>;

    /// Shell comments naming the other credentials it accepts, for `keyrot sandbox`.
    fn alternatives(&self) -> Vec<String>;

    /// The simulated vendor as `Any`, to reach its own type.
    fn as_any(&self) -> &dyn Any;
}

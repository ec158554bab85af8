//! The embedded simulator of the vendors' APIs, served on loopback for the demo and the tests.
//! It is an independent implementation: it shares no wire types with the client.

mod clock;
mod connection;
mod date_header;
mod fault_layer;
mod faults;
mod in_flight;
mod lock;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use clock::Clock;
pub use connection::ConnectionKill;
pub use faults::{FaultTarget, Faults, ServerRateLimit};
pub use lock::lock;
pub use state::{RecordedRequest, SandboxCounters, SandboxState, Simulated, random_token};

/// What a sandbox starts with.
pub struct SandboxConfig {
    /// Where its clock comes from.
    pub clock: Clock,
    /// The vendors it simulates, each with what exists there and the credentials it accepts.
    pub vendors: Vec<Box<dyn Simulated>>,
    /// The faults it injects.
    pub faults: Faults,
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    address: SocketAddr,
    state: Arc<SandboxState>,
    stop: Option<oneshot::Sender<()>>,
}

impl Sandbox {
    /// Binds `listen` (port 0 lets the OS choose) and serves on the current tokio runtime.
    pub async fn start(listen: SocketAddr, config: SandboxConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind(listen).await?;
        let address = listener.local_addr()?;
        let state = Arc::new(SandboxState::new(
            config.clock,
            config.vendors,
            config.faults,
        ));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(connection::serve(listener, router(state.clone()), stopped));
        Ok(Self {
            address,
            state,
            stop: Some(stop),
        })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The simulated vendor of type `T`, to look at or change what exists there.
    pub fn simulated<T: Simulated>(&self) -> Option<&T> {
        self.state.simulated()
    }

    /// The environment variables that point keyrot at every simulated vendor, with the
    /// credentials each accepts.
    pub fn environment(&self) -> Vec<(&'static str, String)> {
        self.state
            .vendors()
            .iter()
            .flat_map(|vendor| vendor.environment(self.address))
            .collect()
    }

    /// Lines a user can paste into a shell to point keyrot at the sandbox, then, commented,
    /// the other credentials it accepts.
    pub fn shell_exports(&self) -> String {
        let exports = self
            .environment()
            .into_iter()
            .map(|(variable, value)| format!("export {variable}={value}"));
        let alternatives = self
            .state
            .vendors()
            .iter()
            .flat_map(|vendor| vendor.alternatives());
        exports
            .chain(alternatives)
            .map(|line| line + "\n")
            .collect()
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// Requests per method, rotations per resource, and 429 answers so far.
    pub fn counters(&self) -> SandboxCounters {
        self.state.counters()
    }

    /// Injects `faults` from now on.
    pub fn set_faults(&self, faults: Faults) {
        self.state.faults.set(faults);
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn router(state: Arc<SandboxState>) -> Router {
    let routes = state
        .vendors()
        .iter()
        .fold(Router::new(), |router, vendor| {
            router.merge(vendor.routes())
        });
    routes
        .fallback(no_route)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            fault_layer::inject_faults,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            date_header::stamp_date,
        ))
        .with_state(state)
}

/// A path no route matches: the answer of the vendor whose routes it is under (or that
/// answers unclaimed paths), else a bare 404.
async fn no_route(State(state): State<Arc<SandboxState>>, request: Request) -> Response {
    match state.vendor_serving(request.uri().path()) {
        Some(vendor) => vendor.no_route(),
        None => (
            StatusCode::NOT_FOUND,
            "no such route in the keyrot sandbox\n",
        )
            .into_response(),
    }
}

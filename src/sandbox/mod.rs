//! The embedded simulator of the vendors' APIs, served on loopback for the demo and the tests.
//! It is an independent implementation: it shares no wire types with the client.

mod clock;
mod cloudflare;
mod seed;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use clock::Clock;
pub use seed::seed_accounts;
pub use state::{RecordedRequest, SandboxAccount, SandboxCredentials};

use state::SandboxState;

/// What a sandbox starts with.
pub struct SandboxConfig {
    /// Where its clock comes from.
    pub clock: Clock,
    /// The credentials it accepts.
    pub credentials: SandboxCredentials,
    /// The accounts that exist.
    pub accounts: Vec<SandboxAccount>,
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
            config.credentials,
            config.accounts,
        ));
        let (stop, stopped) = oneshot::channel::<()>();
        let app = router(state.clone());
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            // A serving error ends the sandbox; callers see it as refused connections.
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await;
        });
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

    /// The base URL of its Cloudflare API, as `CLOUDFLARE_BASE_URL` takes it.
    pub fn cloudflare_base_url(&self) -> String {
        format!("http://{}/client/v4", self.address)
    }

    /// The credentials it accepts.
    pub fn credentials(&self) -> &SandboxCredentials {
        &self.state.credentials
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// An account's current state, automatic rotations included.
    pub fn account(&self, account_id: &str) -> Option<SandboxAccount> {
        self.state.account(account_id)
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
    cloudflare::routes()
        .fallback(cloudflare::no_route)
        .layer(middleware::from_fn_with_state(state.clone(), record))
        .with_state(state)
}

async fn record(State(state): State<Arc<SandboxState>>, request: Request, next: Next) -> Response {
    state.record(request.method().as_str(), request.uri().path());
    next.run(request).await
}

//! The embedded simulator of the vendors' APIs, served on loopback for the demo and the tests.
//! It is an independent implementation: it shares no wire types with the client.

mod clock;
mod cloudflare;
mod connection;
mod date_header;
mod fault_layer;
mod faults;
mod in_flight;
mod rixl;
mod seed;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::middleware;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use clock::Clock;
pub use faults::{FaultTarget, Faults, ServerRateLimit};
pub use seed::{seed_accounts, seed_rixl_keys};
pub use state::{RecordedRequest, SandboxAccount, SandboxCounters, SandboxCredentials, SandboxKey};

use state::SandboxState;

/// What a sandbox starts with.
pub struct SandboxConfig {
    /// Where its clock comes from.
    pub clock: Clock,
    /// The credentials it accepts.
    pub credentials: SandboxCredentials,
    /// The Cloudflare accounts that exist.
    pub accounts: Vec<SandboxAccount>,
    /// The RIXL API keys that exist.
    pub rixl_keys: Vec<SandboxKey>,
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
            config.credentials,
            config.accounts,
            config.rixl_keys,
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

    /// The base URL of its Cloudflare API, as `CLOUDFLARE_BASE_URL` takes it.
    pub fn cloudflare_base_url(&self) -> String {
        format!("http://{}/client/v4", self.address)
    }

    /// The base URL of its RIXL API, as `RIXL_BASE_URL` takes it.
    pub fn rixl_base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// A RIXL key's current state, its secret included.
    pub fn rixl_key(&self, key_id: &str) -> Option<SandboxKey> {
        self.state
            .rixl_keys(None)
            .into_iter()
            .find(|key| key.id == key_id)
    }

    /// The credentials it accepts.
    pub fn credentials(&self) -> &SandboxCredentials {
        &self.state.credentials
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// Requests per method, rotations per account, and 429 answers so far.
    pub fn counters(&self) -> SandboxCounters {
        self.state.counters()
    }

    /// Makes an account's Access key calls fail with Cloudflare's code 12109 (not enabled).
    pub fn disable_access(&self, account_id: &str) {
        self.state.disable_access(account_id);
    }

    /// Changes an account as someone outside keyrot would (a console, a script): sets its
    /// interval, which Cloudflare may answer with a rotation.
    pub fn set_interval_outside_keyrot(&self, account_id: &str, days: u32) {
        self.state
            .with_account(account_id, |account, now| account.set_interval(days, now));
    }

    /// Rotates a RIXL key as someone outside keyrot would (the console): a new secret, and a
    /// new `created_at`.
    pub fn rotate_rixl_key_outside_keyrot(&self, key_id: &str) {
        self.rotate_rixl_key_outside_keyrot_at(key_id, self.state.clock.now());
    }

    /// Rotates a RIXL key as someone else would, at `at`.
    pub fn rotate_rixl_key_outside_keyrot_at(&self, key_id: &str, at: jiff::Timestamp) {
        self.state.rotate_rixl_key(None, key_id, at);
    }

    /// Injects `faults` from now on.
    pub fn set_faults(&self, faults: Faults) {
        self.state.faults.set(faults);
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
        .merge(rixl::routes())
        .fallback(cloudflare::no_route)
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

//! The simulated RIXL API, written from RIXL's documents: paginated key lists, rotation
//! issuing a fresh secret, bearer auth and token exchange, for both route families, with
//! RIXL's `{code, error, details}` errors.

mod routes;
mod seed;

use std::any::Any;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use jiff::Timestamp;

use crate::config::DesiredState;
use crate::sandbox::{Clock, SandboxState, Simulated, lock, random_token};

pub use seed::seed_rixl_keys;

/// One simulated RIXL API key, secret included (the sandbox is the only holder besides keyrot's
/// sink).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxKey {
    /// The key ID.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// The organization it belongs to.
    pub org_id: String,
    /// Its project.
    pub project_id: String,
    /// Its project's name.
    pub project_name: String,
    /// When it (and its current secret) was created.
    pub created_at: Timestamp,
    /// When it expires, if it does.
    pub expiring_at: Option<Timestamp>,
    /// When it was last used.
    pub last_used: Option<Timestamp>,
    /// Its current secret.
    pub secret: String,
}

/// The credentials the simulated RIXL accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxRixlCredentials {
    /// Accepted as `Authorization: Bearer`.
    pub token: String,
    /// Exchanged for an access token.
    pub api_key: String,
}

impl SandboxRixlCredentials {
    /// Fresh random credentials.
    pub fn generate() -> Self {
        Self {
            token: random_token(20),
            api_key: format!("rxl_{}", random_token(12)),
        }
    }
}

/// The simulated RIXL: its keys, the credentials it accepts and the tokens it issued.
pub struct SimulatedRixl {
    /// The credentials it accepts.
    pub credentials: SandboxRixlCredentials,
    clock: Clock,
    keys: Mutex<Vec<SandboxKey>>,
    tokens: Mutex<Vec<String>>,
}

impl SimulatedRixl {
    /// RIXL holding `keys`, accepting `credentials`, its time from `clock`.
    pub fn new(clock: Clock, credentials: SandboxRixlCredentials, keys: Vec<SandboxKey>) -> Self {
        Self {
            credentials,
            clock,
            keys: Mutex::new(keys),
            tokens: Mutex::new(Vec::new()),
        }
    }

    /// RIXL seeded from `seed` (every key it names, some due) with fresh credentials; none
    /// without a seed.
    pub fn seeded(seed: Option<&DesiredState>, clock: Clock) -> Box<dyn Simulated> {
        let now = clock.now();
        let keys = seed.map_or_else(Vec::new, |desired| seed_rixl_keys(desired, now));
        Box::new(Self::new(clock, SandboxRixlCredentials::generate(), keys))
    }

    /// The keys of `org_id` (all of them when `None`), in creation order.
    pub fn keys(&self, org_id: Option<&str>) -> Vec<SandboxKey> {
        lock(&self.keys)
            .iter()
            .filter(|key| org_id.is_none_or(|org| key.org_id == org))
            .cloned()
            .collect()
    }

    /// A key's current state, its secret included.
    pub fn key(&self, key_id: &str) -> Option<SandboxKey> {
        self.keys(None).into_iter().find(|key| key.id == key_id)
    }

    /// Rotates a key: a fresh secret, `created_at` renewed, the same lifetime from now.
    pub fn rotate(&self, org_id: Option<&str>, key_id: &str, now: Timestamp) -> Option<SandboxKey> {
        let mut keys = lock(&self.keys);
        let key = keys
            .iter_mut()
            .find(|key| key.id == key_id && org_id.is_none_or(|org| key.org_id == org))?;
        let lifetime = key.expiring_at.map(|at| at.duration_since(key.created_at));
        key.created_at = now;
        key.expiring_at = lifetime.and_then(|lifetime| now.checked_add(lifetime).ok());
        key.secret = format!("rxl_{}", random_token(18));
        Some(key.clone())
    }

    /// Rotates a key as someone outside keyrot would (the console): a new secret, and a new
    /// `created_at`.
    pub fn rotate_outside_keyrot(&self, key_id: &str) {
        self.rotate(None, key_id, self.clock.now());
    }

    /// Issues an access token for the token exchange.
    fn issue_token(&self) -> String {
        let token = random_token(24);
        lock(&self.tokens).push(token.clone());
        token
    }

    /// The configured token or one issued by the exchange.
    fn accepts_token(&self, token: &str) -> bool {
        token == self.credentials.token || lock(&self.tokens).iter().any(|t| t == token)
    }
}

impl Simulated for SimulatedRixl {
    fn routes(&self) -> Router<Arc<SandboxState>> {
        routes::routes()
    }

    fn serves(&self, path: &str) -> bool {
        path.starts_with("/platform/") || path.starts_with("/organizations/")
    }

    fn rotates(&self, method: &Method, path: &str) -> bool {
        method == Method::POST && path.ends_with("/rotate")
    }

    fn answers_unclaimed_paths(&self) -> bool {
        false
    }

    fn failure(&self, status: StatusCode, code: i64, message: &str) -> Response {
        routes::error(status, code, message)
    }

    fn no_route(&self) -> Response {
        routes::error(StatusCode::NOT_FOUND, 5, "not found")
    }

    fn environment(&self, address: SocketAddr) -> Vec<(&'static str, String)> {
        vec![
            ("RIXL_BASE_URL", format!("http://{address}")),
            ("RIXL_API_TOKEN", self.credentials.token.clone()),
        ]
    }

    fn alternatives(&self) -> Vec<String> {
        vec![
            "# and this RIXL API key, exchanged for a token, instead of RIXL_API_TOKEN:".to_owned(),
            format!("# export RIXL_API_KEY={}", self.credentials.api_key),
        ]
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

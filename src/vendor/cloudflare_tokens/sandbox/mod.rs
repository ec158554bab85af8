//! The simulated Cloudflare API tokens, written from Cloudflare's OpenAPI document: the user's
//! and each account's tokens in pages, one token's read, `verify`, and the roll that returns a
//! new value exactly once and kills the old one. It answers the same API token as the simulated
//! Access API (one Cloudflare, one managing token), which is itself one of the user's tokens.

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
use crate::vendor::cloudflare::sandbox::failure;

pub use seed::seed_tokens;

/// The ID of the token the sandbox's `CLOUDFLARE_API_TOKEN` is: the managing token.
pub const MANAGING_TOKEN_ID: &str = "0c0ffee0000000000000000000000001";

/// One simulated API token, its value included (the sandbox is its only holder besides
/// keyrot's sink).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxToken {
    /// Its ID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The account that owns it; `None`: the user's.
    pub account_id: Option<String>,
    /// `active`, `disabled` or `expired`.
    pub status: String,
    /// When it was created; a roll keeps it.
    pub issued_on: Timestamp,
    /// When it last changed (a roll, an edit).
    pub modified_on: Timestamp,
    /// When it stops working, if it does.
    pub expires_on: Option<Timestamp>,
    /// Its value; `None` for the managing token, whose value is the simulated Access API's
    /// API token.
    pub value: Option<String>,
}

/// The simulated API tokens.
pub struct SimulatedTokens {
    clock: Clock,
    tokens: Mutex<Vec<SandboxToken>>,
}

impl SimulatedTokens {
    /// Cloudflare holding `tokens` and the managing token, its time from `clock`.
    pub fn new(clock: Clock, mut tokens: Vec<SandboxToken>) -> Self {
        let since = clock.now();
        tokens.insert(
            0,
            SandboxToken {
                id: MANAGING_TOKEN_ID.to_owned(),
                name: "keyrot (managing token)".to_owned(),
                account_id: None,
                status: "active".to_owned(),
                issued_on: since,
                modified_on: since,
                expires_on: None,
                value: None,
            },
        );
        Self {
            clock,
            tokens: Mutex::new(tokens),
        }
    }

    /// Tokens seeded from `seed` (every token it names, some due); none without a seed.
    pub fn seeded(seed: Option<&DesiredState>, clock: Clock) -> Box<dyn Simulated> {
        let now = clock.now();
        let tokens = seed.map_or_else(Vec::new, |desired| seed_tokens(desired, now));
        Box::new(Self::new(clock, tokens))
    }

    /// The tokens of `account_id` (the user's when `None`), in creation order.
    pub fn tokens(&self, account_id: Option<&str>) -> Vec<SandboxToken> {
        lock(&self.tokens)
            .iter()
            .filter(|token| token.account_id.as_deref() == account_id)
            .cloned()
            .collect()
    }

    /// A token's current state, its value included.
    pub fn token(&self, id: &str) -> Option<SandboxToken> {
        lock(&self.tokens)
            .iter()
            .find(|token| token.id == id)
            .cloned()
    }

    /// Sets a token's status, as someone in the dashboard would.
    pub fn set_status(&self, id: &str, status: &str) {
        self.change(id, |token, _| token.status = status.to_owned());
    }

    /// Edits a token's policies, as someone in the dashboard would: only `modified_on` moves.
    pub fn edit_policies(&self, id: &str) {
        self.change(id, |token, now| token.modified_on = now);
    }

    /// Rolls a token of `account_id` (the user's when `None`): a new value, `modified_on`
    /// now, `issued_on` kept.
    fn roll(&self, account_id: Option<&str>, id: &str) -> Option<SandboxToken> {
        let prefix = match account_id {
            Some(_) => "cfat_",
            None => "cfut_",
        };
        let mut tokens = lock(&self.tokens);
        let token = tokens
            .iter_mut()
            .find(|token| token.id == id && token.account_id.as_deref() == account_id)?;
        token.value = Some(format!("{prefix}{}", random_token(40)));
        token.modified_on = self.clock.now();
        Some(token.clone())
    }

    fn change(&self, id: &str, change: impl FnOnce(&mut SandboxToken, Timestamp)) {
        let now = self.clock.now();
        if let Some(token) = lock(&self.tokens).iter_mut().find(|token| token.id == id) {
            change(token, now);
        }
    }

    /// The token a request's bearer value is: one whose value it is, or the managing token
    /// for `managing` (the Access API's token).
    fn bearer(&self, value: &str, managing: &str) -> Option<SandboxToken> {
        lock(&self.tokens)
            .iter()
            .find(|token| match &token.value {
                Some(own) => own == value,
                None => value == managing,
            })
            .cloned()
    }
}

impl Simulated for SimulatedTokens {
    fn routes(&self) -> Router<Arc<SandboxState>> {
        routes::routes()
    }

    /// Its routes are under the simulated Access API's root, which answers for them.
    fn serves(&self, _path: &str) -> bool {
        false
    }

    /// A roll: `PUT .../tokens/{id}/value`.
    fn rotates(&self, method: &Method, path: &str) -> bool {
        method == Method::PUT && path.ends_with("/value")
    }

    fn answers_unclaimed_paths(&self) -> bool {
        false
    }

    fn failure(&self, status: StatusCode, code: i64, message: &str) -> Response {
        failure(status, code, message)
    }

    fn no_route(&self) -> Response {
        failure(StatusCode::NOT_FOUND, 7003, "No route for the URI")
    }

    /// The simulated Access API's variables point keyrot here too.
    fn environment(&self, _address: SocketAddr) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    fn alternatives(&self) -> Vec<String> {
        Vec::new()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

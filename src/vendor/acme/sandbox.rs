//! Acme's simulator: one route saying it is up, and the token it accepts.

use std::any::Any;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::config::DesiredState;
use crate::sandbox::{Clock, SandboxState, Simulated, random_token};

/// The simulated Acme.
pub struct SimulatedAcme {
    token: String,
}

impl SimulatedAcme {
    /// Acme with a fresh token; it holds no keys of its own.
    pub fn seeded(_seed: Option<&DesiredState>, _clock: Clock) -> Box<dyn Simulated> {
        Box::new(Self {
            token: random_token(8),
        })
    }
}

impl Simulated for SimulatedAcme {
    fn routes(&self) -> Router<Arc<SandboxState>> {
        Router::new().route("/acme/up", get(|| async { "up" }))
    }

    fn serves(&self, path: &str) -> bool {
        path.starts_with("/acme/")
    }

    fn rotates(&self, _method: &Method, _path: &str) -> bool {
        false
    }

    fn answers_unclaimed_paths(&self) -> bool {
        false
    }

    fn failure(&self, status: StatusCode, _code: i64, message: &str) -> Response {
        (status, message.to_owned()).into_response()
    }

    fn no_route(&self) -> Response {
        StatusCode::NOT_FOUND.into_response()
    }

    fn environment(&self, _address: SocketAddr) -> Vec<(&'static str, String)> {
        vec![("ACME_TOKEN", self.token.clone())]
    }

    fn alternatives(&self) -> Vec<String> {
        Vec::new()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

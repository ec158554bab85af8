//! What the running sandbox holds: its clock and faults, the simulated vendors (each written
//! in its vendor's folder from the vendor's documents), and every request seen.

use std::any::Any;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{Method, StatusCode};
use axum::response::Response;

use super::clock::Clock;
use super::faults::{FaultInjector, Faults};
use super::in_flight::InFlight;
use super::lock::lock;

/// Random lowercase hexadecimal, `bytes` bytes of it.
pub fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    // Should the OS refuse randomness, the zeroed buffer still makes usable sandbox credentials.
    let _ = getrandom::fill(&mut buffer);
    buffer.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// One request the sandbox received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Request path.
    pub path: String,
    /// Its query, without the `?`; empty when it has none.
    pub query: String,
}

/// Counts of what the sandbox saw, for tests and benchmarks to assert on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SandboxCounters {
    /// Requests received, by HTTP method.
    pub by_method: BTreeMap<String, usize>,
    /// Rotations performed, by the resource's ID (an account ID, a key ID).
    pub rotations: BTreeMap<String, usize>,
    /// 429 answers sent (injected or for the rate limit).
    pub throttled: usize,
    /// The most requests answered at once.
    pub most_in_flight: usize,
}

/// A simulated vendor inside the sandbox. Its handlers reach its state through
/// [`SandboxState::simulated`], so a sandbox holds any set of vendors.
pub trait Simulated: Any + Send + Sync {
    /// Its routes.
    fn routes(&self) -> Router<Arc<SandboxState>>;

    /// True when `path` is under its routes: requests there get its error shape.
    fn serves(&self, path: &str) -> bool;

    /// True when `method` on `path` is one of its writes that issue a new key (a rotate, a
    /// roll): the requests the faults aimed at rotates hit.
    fn rotates(&self, method: &Method, path: &str) -> bool;

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

/// Everything the running sandbox holds.
pub struct SandboxState {
    /// Its clock.
    pub clock: Clock,
    /// The faults it injects.
    pub(crate) faults: FaultInjector,
    /// The simulated vendors.
    vendors: Vec<Box<dyn Simulated>>,
    requests: Mutex<Vec<RecordedRequest>>,
    counters: Mutex<SandboxCounters>,
    /// The requests being answered.
    pub(crate) in_flight: InFlight,
}

impl SandboxState {
    /// A sandbox's state: `vendors` simulated on `clock`, injecting `faults`.
    pub(crate) fn new(clock: Clock, vendors: Vec<Box<dyn Simulated>>, faults: Faults) -> Self {
        Self {
            clock,
            faults: FaultInjector::new(faults),
            vendors,
            requests: Mutex::new(Vec::new()),
            counters: Mutex::new(SandboxCounters::default()),
            in_flight: InFlight::new(),
        }
    }

    /// The simulated vendor of type `T`, for its handlers.
    pub fn simulated<T: Simulated>(&self) -> Option<&T> {
        self.vendors
            .iter()
            .find_map(|vendor| vendor.as_any().downcast_ref::<T>())
    }

    /// Every simulated vendor.
    pub(crate) fn vendors(&self) -> &[Box<dyn Simulated>] {
        &self.vendors
    }

    /// The vendor whose routes `path` is under, or the one that answers paths nobody's are.
    pub(crate) fn vendor_serving(&self, path: &str) -> Option<&dyn Simulated> {
        let vendors = || self.vendors.iter().map(AsRef::as_ref);
        vendors()
            .find(|vendor| vendor.serves(path))
            .or_else(|| vendors().find(|vendor| vendor.answers_unclaimed_paths()))
    }

    /// Records a request and counts it by method.
    pub(crate) fn record(&self, method: &str, uri: &axum::http::Uri) {
        lock(&self.requests).push(RecordedRequest {
            method: method.to_owned(),
            path: uri.path().to_owned(),
            query: uri.query().unwrap_or_default().to_owned(),
        });
        *lock(&self.counters)
            .by_method
            .entry(method.to_owned())
            .or_default() += 1;
    }

    /// Counts a rotation of the resource `id`.
    pub fn count_rotation(&self, id: &str) {
        *lock(&self.counters)
            .rotations
            .entry(id.to_owned())
            .or_default() += 1;
    }

    /// Counts a 429 answer.
    pub(crate) fn count_throttled(&self) {
        lock(&self.counters).throttled += 1;
    }

    /// What was counted so far.
    pub(crate) fn counters(&self) -> SandboxCounters {
        SandboxCounters {
            most_in_flight: self.in_flight.most(),
            ..lock(&self.counters).clone()
        }
    }

    /// Every request so far, in arrival order.
    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }
}

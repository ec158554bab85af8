//! Fault injection: latency, 5xx and 429 answers, dropped connections, a rotate that is
//! processed but never answered, and a Cloudflare-like rate limit with a penalty block.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use jiff::SignedDuration;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::time::Instant;

use super::lock::lock;

/// A server-side request budget: more than `requests` in any `window` blocks every request for
/// `block`, as Cloudflare does (1200 per 5 minutes, then 5 minutes of 429).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerRateLimit {
    /// Requests a window may hold.
    pub requests: u32,
    /// The sliding window.
    pub window: Duration,
    /// How long every request is refused once the budget is exceeded.
    pub block: Duration,
}

/// Which faults the sandbox injects, and how often (rates are probabilities per request).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Added to every answer.
    pub latency: Duration,
    /// Share of requests answered 503 without being processed.
    pub error_rate: f64,
    /// Share of requests answered 429 with `Retry-After: 1` without being processed.
    pub throttle_rate: f64,
    /// Share of requests whose connection is closed without an answer, unprocessed.
    pub drop_rate: f64,
    /// Share of rotates that are processed and then never answered (the connection closes).
    pub rotate_then_drop_rate: f64,
    /// A server-side rate limit with a penalty block.
    pub rate_limit: Option<ServerRateLimit>,
    /// Which requests the rate-based faults hit.
    pub target: FaultTarget,
    /// Seeds the random choices, so a run's faults can be replayed.
    pub seed: u64,
    /// Lists that never end: RIXL reports a huge `total` and Cloudflare a huge `total_pages`,
    /// and every page repeats the first.
    pub endless_pages: bool,
    /// With `endless_pages`: every page lists one key never listed before, so only a cap on
    /// the number of pages stops the reader.
    pub ever_new_items: bool,
    /// Rotates processed, then answered only after an hour: the rotate's answer is in flight
    /// for as long as the client waits.
    pub rotate_then_hang: bool,
    /// Answers to reads whose body never ends (it stops after 1 GiB).
    pub endless_body: bool,
    /// Cloudflare rotates answered 200 with the configuration unchanged, not rotated.
    pub rotate_unchanged: bool,
    /// Injected errors whose message clears the screen and forges a line of output.
    pub hostile_messages: bool,
    /// Added to the time in every answer's `Date` header (not to the data): a clock that lies.
    pub date_offset: SignedDuration,
    /// How many answers carry the true `Date` before `date_offset` applies: a clock that jumps
    /// in the middle of a run.
    pub date_offset_after: usize,
    /// Holds every request until this many are in flight at once; from then on none is held
    /// (0: never held). A client that sends one request at a time waits forever.
    pub gather: usize,
}

/// Which requests the 5xx, 429 and drop faults may hit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FaultTarget {
    /// Every request.
    #[default]
    All,
    /// Only rotates.
    Rotates,
}

/// What the fault injector decided for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Injected {
    /// Serve it normally.
    Nothing,
    /// Answer 503.
    ServerError,
    /// Answer 429, asking to wait this long.
    Throttled(Duration),
    /// Close the connection without an answer.
    Drop,
}

/// The fault injector's running state.
pub(crate) struct FaultInjector {
    faults: Mutex<Faults>,
    random: Mutex<StdRng>,
    window: Mutex<WindowState>,
    /// Answers stamped with a `Date` so far.
    dated: AtomicUsize,
}

#[derive(Default)]
struct WindowState {
    arrivals: VecDeque<Instant>,
    blocked_until: Option<Instant>,
}

/// The rate-limit headers for an answer: requests remaining and seconds until the window
/// frees one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Budget {
    /// Requests the window still allows.
    pub remaining: u32,
    /// Seconds until the window frees one.
    pub reset_seconds: u64,
    /// The limit itself.
    pub limit: ServerRateLimit,
}

impl FaultInjector {
    /// An injector of `faults`, its randomness seeded from `faults.seed`.
    pub fn new(faults: Faults) -> Self {
        let random = Mutex::new(StdRng::seed_from_u64(faults.seed));
        Self {
            faults: Mutex::new(faults),
            random,
            window: Mutex::new(WindowState::default()),
            dated: AtomicUsize::new(0),
        }
    }

    /// Replaces the faults from now on (the random sequence continues).
    pub fn set(&self, faults: Faults) {
        *lock(&self.faults) = faults;
    }

    /// How many requests must be in flight at once before any is answered.
    pub fn gather(&self) -> usize {
        lock(&self.faults).gather
    }

    fn current(&self) -> Faults {
        lock(&self.faults).clone()
    }

    /// What to add to the next answer's `Date`.
    pub fn next_date_offset(&self) -> SignedDuration {
        let answered = self.dated.fetch_add(1, Ordering::SeqCst);
        let faults = self.current();
        if answered >= faults.date_offset_after {
            faults.date_offset
        } else {
            SignedDuration::ZERO
        }
    }

    /// How long every answer waits.
    pub fn latency(&self) -> Duration {
        self.current().latency
    }

    /// Whether lists never end.
    pub fn endless_pages(&self) -> bool {
        self.current().endless_pages
    }

    /// Whether reads answer with a body that never ends.
    pub fn endless_body(&self) -> bool {
        self.current().endless_body
    }

    /// Whether injected errors carry terminal control sequences.
    pub fn hostile_messages(&self) -> bool {
        self.current().hostile_messages
    }

    /// Whether Cloudflare rotates answer 200 without rotating.
    pub fn rotate_unchanged(&self) -> bool {
        self.current().rotate_unchanged
    }

    /// Counts an arriving request against the server's budget; `Err` carries the wait when the
    /// token is blocked.
    pub fn admit(&self, now: Instant) -> Result<Option<Budget>, Duration> {
        let Some(limit) = self.current().rate_limit else {
            return Ok(None);
        };
        let mut state = lock(&self.window);
        if let Some(until) = state.blocked_until.filter(|until| *until > now) {
            return Err(until - now);
        }
        while state
            .arrivals
            .front()
            .is_some_and(|arrival| now.duration_since(*arrival) >= limit.window)
        {
            state.arrivals.pop_front();
        }
        state.arrivals.push_back(now);
        let used = state.arrivals.len() as u32;
        if used > limit.requests {
            state.blocked_until = Some(now + limit.block);
            state.arrivals.clear();
            return Err(limit.block);
        }
        let oldest = state.arrivals.front().copied().unwrap_or(now);
        let reset = (oldest + limit.window).saturating_duration_since(now);
        Ok(Some(Budget {
            remaining: limit.requests - used,
            reset_seconds: reset.as_secs_f64().ceil() as u64,
            limit,
        }))
    }

    /// Draws the fault for a request; `is_rotate` tells whether it is a rotate.
    pub fn draw(&self, is_rotate: bool) -> Injected {
        let faults = self.current();
        if faults.target == FaultTarget::Rotates && !is_rotate {
            return Injected::Nothing;
        }
        let roll: f64 = self.roll();
        let mut threshold = faults.error_rate;
        if roll < threshold {
            return Injected::ServerError;
        }
        threshold += faults.throttle_rate;
        if roll < threshold {
            return Injected::Throttled(Duration::from_secs(1));
        }
        threshold += faults.drop_rate;
        if roll < threshold {
            return Injected::Drop;
        }
        Injected::Nothing
    }

    /// With `endless_pages`, whether every page lists new items.
    pub fn ever_new_items(&self) -> bool {
        self.current().ever_new_items
    }

    /// Whether a processed rotate's answer is held back for an hour.
    pub fn rotate_then_hang(&self) -> bool {
        self.current().rotate_then_hang
    }

    /// Whether this rotate, once processed, goes unanswered.
    pub fn drop_after_rotate(&self) -> bool {
        self.roll() < self.current().rotate_then_drop_rate
    }

    fn roll(&self) -> f64 {
        lock(&self.random).random::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_per_second_then_a_minute_blocked() -> FaultInjector {
        FaultInjector::new(Faults {
            rate_limit: Some(ServerRateLimit {
                requests: 2,
                window: Duration::from_secs(1),
                block: Duration::from_secs(60),
            }),
            ..Faults::default()
        })
    }

    #[test]
    fn exceeding_the_budget_blocks_everything_for_the_penalty() {
        let injector = two_per_second_then_a_minute_blocked();
        let now = Instant::now();
        assert_eq!(injector.admit(now).unwrap().unwrap().remaining, 1);
        assert_eq!(injector.admit(now).unwrap().unwrap().remaining, 0);
        assert_eq!(injector.admit(now), Err(Duration::from_secs(60)));
        let later = now + Duration::from_secs(30);
        assert_eq!(injector.admit(later), Err(Duration::from_secs(30)));
        assert!(injector.admit(now + Duration::from_secs(61)).is_ok());
    }

    #[test]
    fn a_request_per_window_is_never_blocked() {
        let injector = two_per_second_then_a_minute_blocked();
        let start = Instant::now();
        for step in 0..10 {
            let at = start + Duration::from_millis(500 * step);
            assert!(injector.admit(at).is_ok(), "step {step}");
        }
    }

    #[test]
    fn rotate_only_faults_spare_every_other_request() {
        let injector = FaultInjector::new(Faults {
            error_rate: 1.0,
            target: FaultTarget::Rotates,
            ..Faults::default()
        });
        assert_eq!(injector.draw(false), Injected::Nothing);
        assert_eq!(injector.draw(true), Injected::ServerError);
    }

    #[test]
    fn the_same_seed_draws_the_same_faults() {
        let faults = Faults {
            error_rate: 0.3,
            drop_rate: 0.3,
            seed: 7,
            ..Faults::default()
        };
        let first: Vec<Injected> = {
            let injector = FaultInjector::new(faults.clone());
            (0..50).map(|_| injector.draw(false)).collect()
        };
        let injector = FaultInjector::new(faults);
        let second: Vec<Injected> = (0..50).map(|_| injector.draw(false)).collect();
        assert_eq!(first, second);
        assert!(first.contains(&Injected::ServerError) && first.contains(&Injected::Drop));
    }
}

//! A sliding-window limiter shared by every request of a provider: never more than N requests
//! start in any window of the configured length, which is what the server counts. (A token
//! bucket with burst N and refill can start almost 2N in one window and trip the server's block.)

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::RateLimit;

/// Added to every window so that two requests exactly one window apart never share a closed
/// window on the server's side.
const SAFETY_MARGIN: Duration = Duration::from_millis(1);

/// The shared limiter of one provider.
#[derive(Debug)]
pub struct SlidingWindowLimiter {
    limit: usize,
    window: Duration,
    state: Mutex<LimiterState>,
}

#[derive(Debug, Default)]
struct LimiterState {
    /// Start instants reserved so far, oldest first; at most `limit` are kept.
    starts: VecDeque<Instant>,
    /// No request starts before this (the server said its budget is spent).
    paused_until: Option<Instant>,
}

impl SlidingWindowLimiter {
    /// A limiter for `rate`.
    pub fn new(rate: RateLimit) -> Self {
        let seconds = rate.per.as_secs_f64().max(0.0);
        Self {
            limit: rate.requests.max(1) as usize,
            window: Duration::from_secs_f64(seconds) + SAFETY_MARGIN,
            state: Mutex::new(LimiterState::default()),
        }
    }

    /// Waits until a request may start within the budget, and counts it.
    pub async fn acquire(&self) {
        let start = self.reserve(Instant::now());
        tokio::time::sleep_until(start).await;
    }

    /// Holds every request not yet started until `until` (the server's budget is spent).
    pub fn pause_until(&self, until: Instant) {
        let mut state = self.lock();
        state.paused_until = Some(state.paused_until.map_or(until, |paused| paused.max(until)));
    }

    /// Reserves the earliest start at or after `now` that keeps every window within the limit.
    fn reserve(&self, now: Instant) -> Instant {
        let mut state = self.lock();
        let mut start = now;
        if let Some(paused) = state.paused_until {
            start = start.max(paused);
        }
        if let Some(last) = state.starts.back() {
            start = start.max(*last);
        }
        if state.starts.len() >= self.limit {
            let nth_most_recent = state.starts[state.starts.len() - self.limit];
            start = start.max(nth_most_recent + self.window);
        }
        state.starts.push_back(start);
        while state.starts.len() > self.limit {
            state.starts.pop_front();
        }
        start
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LimiterState> {
        // The state stays consistent even if a holder panicked: each update is one push/pop.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;

    use super::*;

    fn limiter(requests: u32, seconds: i64) -> SlidingWindowLimiter {
        SlidingWindowLimiter::new(RateLimit {
            requests,
            per: SignedDuration::from_secs(seconds),
        })
    }

    /// The most starts any window of `window` holds.
    fn busiest_window(starts: &[Instant], window: Duration) -> usize {
        starts
            .iter()
            .map(|first| {
                starts
                    .iter()
                    .filter(|start| **start >= *first && **start < *first + window)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn a_burst_of_n_goes_at_once_and_the_rest_waits_a_window() {
        let limiter = limiter(3, 10);
        let now = Instant::now();
        let starts: Vec<Instant> = (0..7).map(|_| limiter.reserve(now)).collect();
        assert!(starts[..3].iter().all(|start| *start == now));
        let window = Duration::from_secs(10) + SAFETY_MARGIN;
        assert!(starts[3..6].iter().all(|start| *start == now + window));
        assert_eq!(starts[6], now + window * 2);
    }

    #[test]
    fn no_window_ever_holds_more_than_n_starts() {
        let limiter = limiter(5, 1);
        let origin = Instant::now();
        let mut starts = Vec::new();
        for step in 0..200u64 {
            // Requests arrive irregularly: bursts, then gaps.
            let arrival = origin + Duration::from_millis(step * step % 997 + step * 13);
            starts.push(limiter.reserve(arrival));
        }
        starts.sort();
        assert!(busiest_window(&starts, Duration::from_secs(1)) <= 5);
    }

    #[test]
    fn a_pause_holds_new_starts_until_it_ends() {
        let limiter = limiter(100, 1);
        let now = Instant::now();
        limiter.pause_until(now + Duration::from_secs(30));
        assert_eq!(limiter.reserve(now), now + Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn acquire_sleeps_until_the_window_frees() {
        let limiter = limiter(2, 1);
        let begin = Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        let elapsed = begin.elapsed();
        assert!(elapsed >= Duration::from_secs(2), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(2_100), "{elapsed:?}");
    }
}

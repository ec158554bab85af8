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
    /// When each request of the current window started, oldest first.
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

    /// Waits until a request may start within the budget, and counts it as started now. The
    /// instant recorded is when the permit is granted, not when it was hoped for, so a late
    /// wake-up can never squeeze two windows' worth of requests into one.
    pub async fn acquire(&self) {
        while let Err(retry_at) = self.try_acquire(Instant::now()) {
            tokio::time::sleep_until(retry_at).await;
        }
    }

    /// Holds every request not yet started until `until` (the server's budget is spent).
    pub fn pause_until(&self, until: Instant) {
        let mut state = self.lock();
        state.paused_until = Some(state.paused_until.map_or(until, |paused| paused.max(until)));
    }

    /// Starts a request at `now` if the window has room, or says when to try again.
    fn try_acquire(&self, now: Instant) -> Result<(), Instant> {
        let mut state = self.lock();
        if let Some(paused) = state.paused_until.filter(|paused| *paused > now) {
            return Err(paused);
        }
        while state
            .starts
            .front()
            .is_some_and(|start| now.duration_since(*start) >= self.window)
        {
            state.starts.pop_front();
        }
        if state.starts.len() < self.limit {
            state.starts.push_back(now);
            return Ok(());
        }
        let oldest = state.starts.front().copied().unwrap_or(now);
        Err(oldest + self.window)
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
    fn a_burst_of_n_goes_at_once_and_the_next_waits_for_the_oldest_to_leave() {
        let limiter = limiter(3, 10);
        let now = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.try_acquire(now), Ok(()));
        }
        let window = Duration::from_secs(10) + SAFETY_MARGIN;
        assert_eq!(limiter.try_acquire(now), Err(now + window));
        assert_eq!(limiter.try_acquire(now + window), Ok(()));
    }

    #[test]
    fn a_pause_holds_new_starts_until_it_ends() {
        let limiter = limiter(100, 1);
        let now = Instant::now();
        limiter.pause_until(now + Duration::from_secs(30));
        assert_eq!(limiter.try_acquire(now), Err(now + Duration::from_secs(30)));
        assert_eq!(limiter.try_acquire(now + Duration::from_secs(30)), Ok(()));
    }

    #[tokio::test(start_paused = true)]
    async fn no_window_ever_holds_more_than_n_starts() {
        let limiter = std::sync::Arc::new(limiter(5, 1));
        let starts = std::sync::Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for task in 0..40u64 {
            let limiter = limiter.clone();
            let starts = starts.clone();
            tasks.push(tokio::spawn(async move {
                // Requests arrive irregularly: bursts, then gaps.
                tokio::time::sleep(Duration::from_millis(task * task % 997)).await;
                limiter.acquire().await;
                starts.lock().unwrap().push(Instant::now());
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let mut starts = starts.lock().unwrap().clone();
        starts.sort();
        assert_eq!(starts.len(), 40);
        assert!(busiest_window(&starts, Duration::from_secs(1)) <= 5);
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

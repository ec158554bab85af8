//! A sliding-window limiter shared by every request of a provider: never more than N requests
//! reach the server in any window of the configured length, which is what the server counts.
//! (A token bucket with burst N and refill can start almost 2N in one window and trip the
//! server's block.)
//!
//! A request counts from when it is allowed until a full window after its answer came back:
//! it reached the server somewhere in between, so however late it was actually sent (a slow
//! connection, a busy CPU), no window on the server's side can hold more than N.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::BudgetWatch;
use crate::config::RateLimit;

/// Added to every window so that two requests exactly one window apart never share a closed
/// window on the server's side.
const SAFETY_MARGIN: Duration = Duration::from_millis(1);

/// The shared limiter of one provider.
#[derive(Debug)]
pub struct SlidingWindowLimiter {
    rate: RateLimit,
    watch: BudgetWatch,
    limit: usize,
    window: Duration,
    state: Mutex<LimiterState>,
    released: Notify,
}

#[derive(Debug, Default)]
struct LimiterState {
    /// Requests allowed whose answer has not come back.
    in_flight: usize,
    /// When answers came back, oldest first, within the last window.
    finished: VecDeque<Instant>,
    /// No request starts before this (the server said its budget is spent).
    paused_until: Option<Instant>,
}

/// Allows one request; dropping it (once the answer is in, or the request abandoned) starts
/// the window after which it no longer counts.
#[derive(Debug)]
pub struct Permit<'a> {
    limiter: &'a SlidingWindowLimiter,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.limiter.release(Instant::now());
    }
}

/// Why a request may not start yet.
#[derive(Debug, PartialEq, Eq)]
enum Wait {
    /// Until this instant, when the window has room again.
    Until(Instant),
    /// Until this instant, which the server asked for.
    Paused(Instant),
    /// Until an answer comes back: every request of the window is still in flight.
    ForAnAnswer,
}

impl SlidingWindowLimiter {
    /// A limiter for `rate`, telling `watch` how long it holds requests.
    pub fn new(rate: RateLimit, watch: BudgetWatch) -> Self {
        let seconds = rate.per.as_secs_f64().max(0.0);
        Self {
            rate,
            watch,
            limit: rate.requests.max(1) as usize,
            window: Duration::from_secs_f64(seconds) + SAFETY_MARGIN,
            state: Mutex::new(LimiterState::default()),
            released: Notify::new(),
        }
    }

    /// Waits until a request may start within the budget; the request counts until a window
    /// after the returned permit is dropped.
    pub async fn acquire(&self) -> Permit<'_> {
        loop {
            let released = self.released.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            match self.try_acquire(Instant::now()) {
                Ok(()) => {
                    self.watch.released();
                    return Permit { limiter: self };
                }
                Err(wait @ (Wait::Until(at) | Wait::Paused(at))) => {
                    match wait {
                        Wait::Paused(_) => self.watch.paused_by_the_api(at.into_std()),
                        _ => self.watch.holding(at.into_std(), self.rate),
                    }
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = &mut released => {}
                    }
                }
                Err(Wait::ForAnAnswer) => released.await,
            }
        }
    }

    /// Holds every request not yet started until `until` (the server's budget is spent);
    /// true when that holds them longer than they already were.
    pub fn pause_until(&self, until: Instant) -> bool {
        let mut state = self.lock();
        let longer = state.paused_until.is_none_or(|paused| until > paused);
        state.paused_until = Some(state.paused_until.map_or(until, |paused| paused.max(until)));
        longer
    }

    /// Starts a request at `now` if the window has room, or says what to wait for.
    fn try_acquire(&self, now: Instant) -> Result<(), Wait> {
        let mut state = self.lock();
        if let Some(paused) = state.paused_until.filter(|paused| *paused > now) {
            return Err(Wait::Paused(paused));
        }
        while state
            .finished
            .front()
            .is_some_and(|finished| now.duration_since(*finished) >= self.window)
        {
            state.finished.pop_front();
        }
        if state.in_flight + state.finished.len() < self.limit {
            state.in_flight += 1;
            return Ok(());
        }
        match state.finished.front() {
            Some(oldest) => Err(Wait::Until(*oldest + self.window)),
            None => Err(Wait::ForAnAnswer),
        }
    }

    fn release(&self, now: Instant) {
        {
            let mut state = self.lock();
            state.in_flight = state.in_flight.saturating_sub(1);
            state.finished.push_back(now);
        }
        self.released.notify_waiters();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LimiterState> {
        // The state stays consistent even if a holder panicked: each update is one step.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use jiff::SignedDuration;

    use super::*;

    fn limiter(requests: u32, seconds: i64) -> SlidingWindowLimiter {
        let rate = RateLimit {
            requests,
            per: SignedDuration::from_secs(seconds),
        };
        SlidingWindowLimiter::new(rate, BudgetWatch::default())
    }

    /// The most instants any window of `window` holds.
    fn busiest_window(instants: &[Instant], window: Duration) -> usize {
        instants
            .iter()
            .map(|first| {
                instants
                    .iter()
                    .filter(|at| **at >= *first && **at < *first + window)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn a_burst_of_n_goes_at_once_and_the_next_waits_a_window_after_an_answer() {
        let limiter = limiter(3, 10);
        let now = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.try_acquire(now), Ok(()));
        }
        assert_eq!(limiter.try_acquire(now), Err(Wait::ForAnAnswer));
        let answered = now + Duration::from_millis(200);
        limiter.release(answered);
        let window = Duration::from_secs(10) + SAFETY_MARGIN;
        assert_eq!(
            limiter.try_acquire(answered),
            Err(Wait::Until(answered + window))
        );
        assert_eq!(limiter.try_acquire(answered + window), Ok(()));
    }

    #[test]
    fn a_pause_is_news_only_when_it_holds_requests_longer() {
        let limiter = limiter(100, 1);
        let now = Instant::now();
        let until = now + Duration::from_secs(30);
        assert!(limiter.pause_until(until), "the first pause");
        assert!(!limiter.pause_until(until), "the same pause again");
        assert!(
            !limiter.pause_until(now + Duration::from_secs(10)),
            "a shorter one"
        );
        assert!(
            limiter.pause_until(now + Duration::from_secs(31)),
            "a longer one"
        );
    }

    #[test]
    fn a_pause_holds_new_starts_until_it_ends() {
        let limiter = limiter(100, 1);
        let now = Instant::now();
        limiter.pause_until(now + Duration::from_secs(30));
        assert_eq!(
            limiter.try_acquire(now),
            Err(Wait::Paused(now + Duration::from_secs(30)))
        );
        assert_eq!(limiter.try_acquire(now + Duration::from_secs(30)), Ok(()));
    }

    #[tokio::test(start_paused = true)]
    async fn no_window_on_the_server_ever_holds_more_than_n_arrivals() {
        // Requests reach the server some time after they are allowed (a slow connection, a
        // busy CPU), and are answered later still; arrivals must still respect the budget.
        let limiter = Arc::new(limiter(5, 1));
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for task in 0..60u64 {
            let limiter = limiter.clone();
            let arrivals = arrivals.clone();
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(task * task % 997)).await;
                let permit = limiter.acquire().await;
                tokio::time::sleep(Duration::from_millis(task * 37 % 400)).await;
                arrivals.lock().unwrap().push(Instant::now());
                tokio::time::sleep(Duration::from_millis(task * 11 % 90)).await;
                drop(permit);
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let arrivals = arrivals.lock().unwrap().clone();
        assert_eq!(arrivals.len(), 60);
        assert!(busiest_window(&arrivals, Duration::from_secs(1)) <= 5);
    }

    #[tokio::test(start_paused = true)]
    async fn acquire_waits_for_the_window_to_free() {
        let limiter = limiter(2, 1);
        let begin = Instant::now();
        for _ in 0..5 {
            drop(limiter.acquire().await);
        }
        let elapsed = begin.elapsed();
        assert!(elapsed >= Duration::from_secs(2), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(2_100), "{elapsed:?}");
    }
}

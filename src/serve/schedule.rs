//! When `keyrot serve` runs its next cycle: `--every` after a cycle that read, a capped
//! exponential backoff after one that failed, both with jitter so replicas and restarts do not
//! fall into step; a cycle that outlasts its period is followed at once, never overlapped.

use std::time::Duration;

/// The first wait after a failed cycle; each further failure in a row doubles it, up to
/// `--every`.
pub const FIRST_RETRY: Duration = Duration::from_secs(5);

/// How far jitter moves a wait: ±10%.
const JITTER: f64 = 0.1;

/// How long to wait after a cycle, given `--every`, how many cycles in a row have failed
/// (0 after one that read), and `unit`, a random number in `[0, 1)` for the jitter.
pub fn delay_after(every: Duration, failures_in_a_row: u32, unit: f64) -> Duration {
    let base = match failures_in_a_row {
        0 => every,
        failures => {
            let doublings = (failures - 1).min(20);
            FIRST_RETRY.saturating_mul(1 << doublings).min(every)
        }
    };
    base.mul_f64(1.0 - JITTER + 2.0 * JITTER * unit.clamp(0.0, 1.0))
}

/// When the next cycle starts, given when this one started and ended and the wait after it:
/// a cycle that ran past its next start is followed as soon as it ends, and `true` says so.
pub fn next_start(started: Duration, ended: Duration, delay: Duration) -> (Duration, bool) {
    let planned = started + delay;
    match planned < ended {
        true => (ended, true),
        false => (planned, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn a_cycle_that_read_waits_every_with_at_most_ten_percent_jitter() {
        let every = 15 * MINUTE;
        assert_eq!(delay_after(every, 0, 0.5), every);
        assert_eq!(delay_after(every, 0, 0.0), every.mul_f64(0.9));
        assert!(delay_after(every, 0, 0.999_999) <= every.mul_f64(1.1));
    }

    #[test]
    fn failures_back_off_from_five_seconds_doubling_up_to_every() {
        let every = 15 * MINUTE;
        let waits: Vec<u64> = (1..=10)
            .map(|failures| delay_after(every, failures, 0.5).as_secs())
            .collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 320, 640, 900, 900]);
        assert_eq!(delay_after(every, u32::MAX, 0.5), every);
    }

    #[test]
    fn a_short_every_caps_the_backoff_so_a_failure_never_waits_longer_than_success() {
        let every = Duration::from_secs(2);
        assert_eq!(delay_after(every, 1, 0.5), every);
        assert_eq!(delay_after(every, 7, 0.5), every);
    }

    #[test]
    fn a_cycle_that_outlasts_its_period_is_followed_when_it_ends_and_reported() {
        let second = Duration::from_secs(1);
        assert_eq!(
            next_start(second, 3 * second, 10 * second),
            (11 * second, false)
        );
        assert_eq!(
            next_start(second, 30 * second, 10 * second),
            (30 * second, true)
        );
    }
}

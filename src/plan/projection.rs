//! A preview's live state: the state as read, moved forward to a later instant by the one
//! change that happens without anyone acting, a vendor's own scheduled rotations (Cloudflare
//! Access's). Nothing keyrot would do in between is assumed.

use jiff::{SignedDuration, Timestamp};

use super::live::{LiveState, Observation};

/// Seconds in a day, for a vendor's fractional day counts.
const DAY_SECONDS: f64 = 86_400.0;

/// `live`, read at `read_at`, as it will be at `until` if only the vendors' own scheduled
/// rotations happen; `live` itself when `until` is not later.
pub fn project_scheduled_rotations(
    live: &LiveState,
    read_at: Timestamp,
    until: Timestamp,
) -> LiveState {
    let mut projected = live.clone();
    if until <= read_at {
        return projected;
    }
    for observation in projected.resources.values_mut() {
        project(observation, read_at, until);
    }
    projected
}

fn project(observation: &mut Observation, read_at: Timestamp, until: Timestamp) {
    let Some(schedule) = &mut observation.schedule else {
        return;
    };
    let interval = schedule.interval_days * DAY_SECONDS;
    if !interval.is_finite() || interval < DAY_SECONDS {
        return;
    }
    // The vendor rotates every interval after the last rotation; its whole-day count of days
    // until the next one is only a fallback when the last rotation is unknown.
    let next = match (observation.last_rotation, schedule.days_until_next) {
        (Some(last), _) => first_after(last, interval, read_at),
        (None, Some(days)) if days.is_finite() && days >= 0.0 => after(read_at, days * DAY_SECONDS),
        _ => None,
    };
    let Some(next) = next.filter(|next| *next <= until) else {
        return;
    };
    // Whole intervals from the first scheduled rotation up to `until`.
    let since_first = until.duration_since(next).as_secs_f64();
    let rotations_after_first = (since_first / interval).floor();
    let Some(last) = after(next, rotations_after_first * interval) else {
        return;
    };
    observation.last_rotation = Some(last);
    schedule.days_until_next = after(last, interval)
        .map(|following| following.duration_since(until).as_secs_f64() / DAY_SECONDS);
}

/// The first instant `last + k * interval` (k >= 1) after `read_at`: the vendor's next
/// scheduled rotation as of the reading.
fn first_after(last: Timestamp, interval: f64, read_at: Timestamp) -> Option<Timestamp> {
    let elapsed = read_at.duration_since(last).as_secs_f64().max(0.0);
    let intervals = (elapsed / interval).floor() + 1.0;
    after(last, intervals * interval)
}

/// `from` plus `seconds`, to the whole second as APIs report times, if it is a representable
/// instant.
fn after(from: Timestamp, seconds: f64) -> Option<Timestamp> {
    let span = SignedDuration::try_from_secs_f64(seconds.round()).ok()?;
    let instant = from.checked_add(span).ok()?;
    Timestamp::from_second(instant.as_second()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Schedule;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn account(interval: f64, last: &str, days_until: Option<f64>) -> LiveState {
        let mut live = LiveState::default();
        live.resources.insert(
            "a".to_owned(),
            Observation {
                last_rotation: Some(at(last)),
                expires_at: None,
                schedule: Some(Schedule {
                    interval_days: interval,
                    days_until_next: days_until,
                }),
                ..Observation::default()
            },
        );
        live
    }

    fn projected(live: &LiveState, read_at: &str, until: &str) -> Observation {
        project_scheduled_rotations(live, at(read_at), at(until)).resources["a"].clone()
    }

    #[test]
    fn every_scheduled_rotation_until_the_preview_instant_happens() {
        // Rotated 2026-11-01, every 30 days: 2026-12-01 and 2026-12-31 come before 2027-01-15.
        let live = account(30.0, "2026-11-01T00:00:00Z", Some(6.0));
        let at_preview = projected(&live, "2026-11-25T00:00:00Z", "2027-01-15T00:00:00Z");
        assert_eq!(at_preview.last_rotation, Some(at("2026-12-31T00:00:00Z")));
        let schedule = at_preview.schedule.expect("a schedule");
        assert_eq!(schedule.days_until_next, Some(15.0));
    }

    #[test]
    fn nothing_changes_before_the_next_scheduled_rotation_or_for_an_earlier_instant() {
        let live = account(30.0, "2026-11-01T00:00:00Z", Some(6.0));
        assert_eq!(
            projected(&live, "2026-11-25T00:00:00Z", "2026-11-30T00:00:00Z"),
            live.resources["a"]
        );
        assert_eq!(
            projected(&live, "2026-11-25T00:00:00Z", "2026-01-01T00:00:00Z"),
            live.resources["a"]
        );
    }

    #[test]
    fn the_schedule_runs_from_the_last_rotation_not_from_a_rounded_day_count() {
        // Cloudflare's count of days is whole; the schedule itself is last + 90 days exactly:
        // 2027-02-20T19:56:44Z, so a deadline at 2027-02-20T12:00Z is not met by it.
        let live = account(90.0, "2026-11-22T19:56:44Z", Some(89.0));
        let at_preview = projected(&live, "2026-11-25T20:15:54Z", "2027-02-21T00:00:00Z");
        assert_eq!(at_preview.last_rotation, Some(at("2027-02-20T19:56:44Z")));
    }

    #[test]
    fn without_days_until_next_the_schedule_runs_from_the_last_rotation() {
        let live = account(90.0, "2026-10-01T00:00:00Z", None);
        let at_preview = projected(&live, "2026-11-25T00:00:00Z", "2027-01-01T00:00:00Z");
        assert_eq!(at_preview.last_rotation, Some(at("2026-12-30T00:00:00Z")));
    }

    #[test]
    fn an_interval_under_a_day_is_not_projected() {
        for days in [0.0, 0.5, f64::NAN] {
            let live = account(days, "2026-10-01T00:00:00Z", Some(0.0));
            let at_preview = projected(&live, "2026-11-25T00:00:00Z", "2027-01-01T00:00:00Z");
            assert_eq!(
                at_preview.last_rotation,
                Some(at("2026-10-01T00:00:00Z")),
                "{days}"
            );
        }
        let daily = account(1.0, "2026-12-31T12:00:00Z", None);
        let at_preview = projected(&daily, "2026-12-31T12:00:00Z", "2027-01-03T00:00:00Z");
        assert_eq!(at_preview.last_rotation, Some(at("2027-01-02T12:00:00Z")));
    }

    #[test]
    fn without_a_last_rotation_the_days_until_the_next_one_count_from_the_reading() {
        let mut live = account(30.0, "2026-11-01T00:00:00Z", Some(6.0));
        let state = live.resources.get_mut("a").unwrap();
        state.last_rotation = None;
        let at_preview = projected(&live, "2026-11-25T00:00:00Z", "2026-12-05T00:00:00Z");
        assert_eq!(at_preview.last_rotation, Some(at("2026-12-01T00:00:00Z")));
        for nonsense in [-1.0, f64::NAN] {
            let state = live.resources.get_mut("a").unwrap();
            state.schedule.as_mut().unwrap().days_until_next = Some(nonsense);
            let unchanged = projected(&live, "2026-11-25T00:00:00Z", "2026-12-05T00:00:00Z");
            assert_eq!(unchanged.last_rotation, None, "{nonsense}");
        }
    }
}

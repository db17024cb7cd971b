//! Expiry at a glance: how far a credential's end date is from *now* ("in 12d",
//! "expired 3d ago") and how worrying that is. `now` is always an argument.

use super::Timestamp;

/// How close to (or past) its end a credential is, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExpiryStatus {
    Expired,
    /// Ends within the critical window (7 days by default).
    Critical,
    /// Ends within the warning window (30 days by default).
    Warning,
    Healthy,
    /// Ends so far away (year 2200 or later) that it practically never does.
    Never,
    /// No end date at all (federated identity credentials hold no secret and never expire).
    NoEnd,
}

/// The warning windows, from config (`[expiry]` in config.toml).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub critical_days: i64,
    pub warning_days: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            critical_days: 7,
            warning_days: 30,
        }
    }
}

/// The year from which an end date reads as "never" (the portal's "never" is 2299).
pub const NEVER_YEAR: i32 = 2200;

pub fn status(end: Option<Timestamp>, now: Timestamp, t: Thresholds) -> ExpiryStatus {
    let Some(end) = end else {
        return ExpiryStatus::NoEnd;
    };
    if end.year() >= NEVER_YEAR {
        return ExpiryStatus::Never;
    }
    let left = end - now;
    if left <= time::Duration::ZERO {
        ExpiryStatus::Expired
    } else if left <= time::Duration::days(t.critical_days) {
        ExpiryStatus::Critical
    } else if left <= time::Duration::days(t.warning_days) {
        ExpiryStatus::Warning
    } else {
        ExpiryStatus::Healthy
    }
}

/// "in 12d", "in 5h", "expired 3d ago", "in 2y", "never"; "—" without an end date.
pub fn relative(end: Option<Timestamp>, now: Timestamp) -> String {
    let Some(end) = end else {
        return "—".to_string();
    };
    if end.year() >= NEVER_YEAR {
        return "never".to_string();
    }
    let diff = end - now;
    let span = span(diff.abs());
    if diff > time::Duration::ZERO {
        format!("in {span}")
    } else {
        format!("expired {span} ago")
    }
}

/// A compact span: minutes under an hour, hours under a day, days under two years, then years.
fn span(d: time::Duration) -> String {
    let days = d.whole_days();
    if days >= 730 {
        format!("{}y", days / 365)
    } else if days >= 1 {
        format!("{days}d")
    } else if d.whole_hours() >= 1 {
        format!("{}h", d.whole_hours())
    } else {
        format!("{}m", d.whole_minutes().max(1))
    }
}

/// A credential's whole lifetime in days, when both ends are known.
pub fn lifetime_days(start: Option<Timestamp>, end: Option<Timestamp>) -> Option<i64> {
    Some((end? - start?).whole_days())
}

/// The date part as `YYYY-MM-DD` (UTC), for tables.
pub fn date(t: Timestamp) -> String {
    let d = t.to_offset(time::UtcOffset::UTC).date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// When a cached snapshot was captured, for "showing the cache from …": the UTC date and
/// minute and how long ago ("2026-11-22 14:02 UTC, 3h ago").
pub fn as_of(at: Timestamp, now: Timestamp) -> String {
    let t = at.to_offset(time::UtcOffset::UTC);
    let ago = if now > at {
        format!("{} ago", span(now - at))
    } else {
        "just now".to_string()
    };
    format!("{} {:02}:{:02} UTC, {ago}", date(at), t.hour(), t.minute())
}

/// How long ago `at` was, for the title's freshness: "just now" under a minute (the explorer's
/// clock moves by the minute), then "3m ago", "2h ago", "4d ago".
pub fn ago(at: Timestamp, now: Timestamp) -> String {
    if now - at < time::Duration::minutes(1) {
        "just now".to_string()
    } else {
        format!("{} ago", span(now - at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn as_of_shows_the_minute_and_the_age() {
        let at = datetime!(2026-11-22 09:02 UTC);
        assert_eq!(as_of(at, NOW), "2026-11-22 09:02 UTC, 2h ago");
        assert_eq!(as_of(NOW, NOW), "2026-11-22 12:00 UTC, just now");
    }

    const NOW: Timestamp = datetime!(2026-11-22 12:00 UTC);

    #[test]
    fn ages() {
        assert_eq!(ago(NOW, NOW), "just now");
        assert_eq!(ago(datetime!(2026-11-22 11:59:30 UTC), NOW), "just now");
        assert_eq!(ago(datetime!(2026-11-22 12:05 UTC), NOW), "just now");
        assert_eq!(ago(datetime!(2026-11-22 11:57 UTC), NOW), "3m ago");
        assert_eq!(ago(datetime!(2026-11-22 10:00 UTC), NOW), "2h ago");
        assert_eq!(ago(datetime!(2026-11-18 12:00 UTC), NOW), "4d ago");
    }

    #[test]
    fn relative_spans() {
        let cases = [
            (datetime!(2026-12-04 12:00 UTC), "in 12d"),
            (datetime!(2026-11-19 12:00 UTC), "expired 3d ago"),
            (datetime!(2026-11-22 17:30 UTC), "in 5h"),
            (datetime!(2026-11-22 11:50 UTC), "expired 10m ago"),
            (datetime!(2029-11-22 12:00 UTC), "in 3y"),
            (datetime!(2299-12-31 00:00 UTC), "never"),
        ];
        for (end, want) in cases {
            assert_eq!(relative(Some(end), NOW), want, "{end}");
        }
        assert_eq!(relative(None, NOW), "—");
    }

    #[test]
    fn statuses_follow_thresholds() {
        let t = Thresholds::default();
        let at = |d: i64| Some(NOW + time::Duration::days(d));
        assert_eq!(status(at(-1), NOW, t), ExpiryStatus::Expired);
        assert_eq!(status(Some(NOW), NOW, t), ExpiryStatus::Expired);
        assert_eq!(status(at(7), NOW, t), ExpiryStatus::Critical);
        assert_eq!(status(at(8), NOW, t), ExpiryStatus::Warning);
        assert_eq!(status(at(30), NOW, t), ExpiryStatus::Warning);
        assert_eq!(status(at(31), NOW, t), ExpiryStatus::Healthy);
        assert_eq!(
            status(Some(datetime!(2299-01-01 0:00 UTC)), NOW, t),
            ExpiryStatus::Never
        );
        assert_eq!(status(None, NOW, t), ExpiryStatus::NoEnd);
    }

    #[test]
    fn lifetime_and_date() {
        let s = datetime!(2025-01-01 0:00 UTC);
        let e = datetime!(2027-01-01 0:00 UTC);
        assert_eq!(lifetime_days(Some(s), Some(e)), Some(730));
        assert_eq!(lifetime_days(None, Some(e)), None);
        assert_eq!(date(datetime!(2026-03-04 23:30 -02:00)), "2026-03-05");
    }
}

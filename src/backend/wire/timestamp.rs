//! The lenient timestamp reader: RFC 3339 and the looser forms Graph, ARM and `az` write.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};

use crate::domain::Timestamp;

/// A timestamp as real exports write it; see [`parse_timestamp`].
pub(crate) fn lenient_timestamp<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Timestamp>, D::Error> {
    struct TsVisitor;

    impl Visitor<'_> for TsVisitor {
        type Value = Option<Timestamp>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an RFC 3339 timestamp or null")
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            parse_timestamp(s).map(Some).map_err(E::custom)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }

    // `deserialize_any` (not `deserialize_option`) so that the error is raised while serde_json
    // still points at the string, and the position it reports is the timestamp's.
    d.deserialize_any(TsVisitor)
}

/// Parses RFC 3339 and the looser forms Graph, ARM and `az` emit: 0–9 (or more, truncated)
/// fractional digits, `Z`/`z` or an offset like `+00:00`, `+0000`, `+00` or `-8:00`, a `T`,
/// `t` or space between date and time, optional seconds, and no offset at all, which in
/// Graph's and `az`'s output means UTC. The offset as written is kept.
fn parse_timestamp(text: &str) -> Result<Timestamp, String> {
    let s = text.trim();
    let invalid = || {
        let shown: String = s.chars().take(64).collect();
        format!(
            "invalid timestamp {shown:?}: expected RFC 3339 like 2024-05-01T10:00:00Z \
             (an offset may be omitted for UTC)"
        )
    };
    let mut p = Cursor {
        s: s.as_bytes(),
        at: 0,
    };

    let year = p.digits(4, 4).ok_or_else(invalid)?;
    p.expect(b'-').ok_or_else(invalid)?;
    let month = p.digits(2, 2).ok_or_else(invalid)?;
    p.expect(b'-').ok_or_else(invalid)?;
    let day = p.digits(2, 2).ok_or_else(invalid)?;
    if !(p.eat(b'T') || p.eat(b't') || p.eat(b' ')) {
        return Err(invalid());
    }
    let hour = p.digits(2, 2).ok_or_else(invalid)?;
    p.expect(b':').ok_or_else(invalid)?;
    let minute = p.digits(2, 2).ok_or_else(invalid)?;
    let second = if p.eat(b':') {
        p.digits(2, 2).ok_or_else(invalid)?
    } else {
        0
    };
    let mut nanos = 0u32;
    if p.eat(b'.') || p.eat(b',') {
        let start = p.at;
        while p.peek().is_some_and(|b| b.is_ascii_digit()) {
            p.at += 1;
        }
        let digits = &s.as_bytes()[start..p.at];
        if digits.is_empty() {
            return Err(invalid());
        }
        // Beyond nanoseconds the digits carry nothing the model can hold.
        for i in 0..9 {
            let d = digits.get(i).map_or(0, |b| u32::from(b - b'0'));
            nanos = nanos * 10 + d;
        }
    }
    let (sign, off_h, off_m) = match p.peek() {
        None => (1, 0, 0),
        Some(b'Z' | b'z') => {
            p.at += 1;
            (1, 0, 0)
        }
        Some(c @ (b'+' | b'-')) => {
            p.at += 1;
            let sign = if c == b'-' { -1 } else { 1 };
            let h = p.digits(1, 2).ok_or_else(invalid)?;
            let m = if p.eat(b':') {
                p.digits(2, 2).ok_or_else(invalid)?
            } else {
                p.digits(2, 2).unwrap_or(0)
            };
            // RFC 3339 offsets stay within a day; `time` would take up to 25:59.
            if h > 23 || m > 59 {
                return Err(invalid());
            }
            (sign, h, m)
        }
        Some(_) => return Err(invalid()),
    };
    if p.peek().is_some() {
        return Err(invalid());
    }

    let month = u8::try_from(month)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or_else(invalid)?;
    let date =
        time::Date::from_calendar_date(year as i32, month, day as u8).map_err(|_| invalid())?;
    let clock = time::Time::from_hms_nano(hour as u8, minute as u8, second as u8, nanos)
        .map_err(|_| invalid())?;
    let offset = time::UtcOffset::from_hms(sign * off_h as i8, sign * off_m as i8, 0)
        .map_err(|_| invalid())?;
    Ok(time::PrimitiveDateTime::new(date, clock).assume_offset(offset))
}

/// A byte cursor for [`parse_timestamp`].
struct Cursor<'a> {
    s: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        self.eat(b).then_some(())
    }

    /// `min..=max` ASCII digits as a number (at most 4 digits, so it fits in a `u16`).
    fn digits(&mut self, min: usize, max: usize) -> Option<u16> {
        let start = self.at;
        let mut value = 0u16;
        while self.at - start < max {
            match self.peek() {
                Some(b) if b.is_ascii_digit() => {
                    value = value * 10 + u16::from(b - b'0');
                    self.at += 1;
                }
                _ => break,
            }
        }
        (self.at - start >= min).then_some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        parse_timestamp(s).unwrap()
    }

    #[test]
    fn timestamps_with_any_fraction_and_offset() {
        use time::macros::datetime;
        assert_eq!(
            ts("2024-05-01T10:00:00Z"),
            datetime!(2024-05-01 10:00:00 UTC)
        );
        assert_eq!(
            ts("2024-05-01T10:00:00"),
            datetime!(2024-05-01 10:00:00 UTC)
        );
        assert_eq!(
            ts("2024-05-01T10:00:00.1234567"),
            datetime!(2024-05-01 10:00:00.1234567 UTC)
        );
        assert_eq!(
            ts("2024-05-01T10:00:00.1234567+00:00"),
            datetime!(2024-05-01 10:00:00.1234567 UTC)
        );
        assert_eq!(
            ts("2021-09-09T19:50:29.3086381Z"),
            datetime!(2021-09-09 19:50:29.3086381 UTC)
        );
        assert_eq!(
            ts("2024-05-01T10:00:00.5Z"),
            datetime!(2024-05-01 10:00:00.5 UTC)
        );
        assert_eq!(
            ts("2024-05-01T10:00:00.123456789123Z"),
            datetime!(2024-05-01 10:00:00.123456789 UTC)
        );
        assert_eq!(
            ts("2024-05-01T10:00:00-08:00"),
            datetime!(2024-05-01 10:00:00 -8)
        );
        assert_eq!(
            ts("2024-05-01T10:00:00-8:00"),
            datetime!(2024-05-01 10:00:00 -8)
        );
        assert_eq!(
            ts("2024-05-01T10:00:00+0530"),
            datetime!(2024-05-01 10:00:00 +5:30)
        );
        assert_eq!(ts("2024-05-01 10:00z"), datetime!(2024-05-01 10:00:00 UTC));
        // The offset is kept as written.
        assert_eq!(ts("2024-05-01T10:00:00+02:00").offset().whole_hours(), 2);
    }

    #[test]
    fn garbage_timestamps_are_rejected() {
        for bad in [
            "",
            "next tuesday",
            "2024-13-01T00:00:00Z",
            "2024-02-30T00:00:00Z",
            "2024-05-01",
            "2024-05-01T25:00:00Z",
            "2024-05-01T10:00:00.Z",
            "2024-05-01T10:00:00Zjunk",
            "2024-05-01T10:00:00+25:00",
            "24-05-01T10:00:00Z",
            "1714557600",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad:?} parsed");
        }
    }
}

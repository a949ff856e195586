//! Timestamps: microseconds since the Unix epoch (UTC) inside — the store's precision, and
//! 64 bits of microseconds reach far past any `run_at` a user may type — and RFC 3339 with
//! nine sub-second digits on the wire (`2016-04-14T15:15:59.642459000Z`). Any RFC 3339 time is
//! accepted (digits past the microsecond are dropped).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

#[derive(Debug, thiserror::Error)]
#[error("invalid time \"{0}\": expected RFC 3339, e.g. 2026-01-02T15:04:05Z")]
pub struct TimeError(pub String);

impl Timestamp {
    /// From JavaScript's `Date.now()`: whole milliseconds.
    pub fn from_millis(ms: f64) -> Timestamp {
        Timestamp((ms.round() as i64).saturating_mul(1000))
    }

    pub fn micros(self) -> i64 {
        self.0
    }

    pub fn parse(s: &str) -> Result<Timestamp, TimeError> {
        let t = OffsetDateTime::parse(s.trim(), &Rfc3339).map_err(|_| TimeError(s.to_string()))?;
        i64::try_from(t.unix_timestamp_nanos().div_euclid(1000))
            .map(Timestamp)
            .map_err(|_| TimeError(s.to_string()))
    }

    /// `YYYYMMDDHHMMSS`, the shape of a CDRouter result id.
    pub fn compact(self) -> String {
        let t = self.datetime();
        format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            t.year(),
            t.month() as u8,
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }

    fn datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(self.0 as i128 * 1000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.datetime();
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
            t.year(),
            t.month() as u8,
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.nanosecond()
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Days since 1970-01-01 as (year, month 1-12, day 1-31), proleptic Gregorian (Howard
/// Hinnant's `civil_from_days`): for code that must not pull a calendar crate (the app, cron).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_nine_digits() {
        let t = Timestamp::parse("2016-04-14T11:15:59.642459766-04:00").expect("valid test input");
        assert_eq!(t.to_string(), "2016-04-14T15:15:59.642459000Z");
        assert_eq!(
            Timestamp::parse(&t.to_string()).expect("valid test input"),
            t
        );
        assert_eq!(t.compact(), "20160414151559");
    }

    #[test]
    fn accepts_any_rfc3339_and_rejects_the_rest() {
        assert!(Timestamp::parse("2026-01-02T03:04:05Z").is_ok());
        assert!(Timestamp::parse("2026-01-02T03:04:05.1+01:00").is_ok());
        assert!(Timestamp::parse("2999-01-01T00:00:00Z").is_ok());
        assert!(Timestamp::parse("2026-01-02").is_err());
        assert!(Timestamp::parse("yesterday").is_err());
    }
}

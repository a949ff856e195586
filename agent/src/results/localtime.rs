//! CDRouter writes log times in the lab machine's local time, without a zone
//! (`2022-08-21 22:23:12.722`); the API speaks UTC. The machine's time zone (TZ, else
//! /etc/localtime) turns one into the other, daylight saving included.

use labrelay_api::Timestamp;

/// The UTC instant of a log time written on this machine.
pub fn to_utc(log_time: &str) -> Option<Timestamp> {
    let civil = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S%.f", log_time)
        .or_else(|_| jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", log_time))
        .ok()?;
    let zoned = civil.to_zoned(jiff::tz::TimeZone::system()).ok()?;
    Some(Timestamp(zoned.timestamp().as_microsecond()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_times_become_instants() {
        let a = to_utc("2022-08-21 22:23:12.722").expect("parses");
        let b = to_utc("2022-08-21 22:23:13").expect("parses");
        assert_eq!(b.0 - a.0, 278_000);
        assert!(to_utc("yesterday").is_none());
    }
}

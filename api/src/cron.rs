//! Cron specs as CDRouter's package schedules write them (`"spec": "0 0 * * *"`): five fields
//! (minute, hour, day of month, month, day of week) with `*`, lists, ranges, steps and
//! month/day names, or `@hourly`/`@daily`/`@weekly`/`@monthly`/`@yearly`. Times are UTC.
//! Parsing and "the next tick after t" are pure, so the worker fires schedules and the app
//! checks a spec as it is typed with the same code.

use crate::time::civil_from_days;
use std::fmt;

/// A parsed spec: for each field, the set of values it allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    /// Day of month and day of week both restricted: either may match (as in Vixie cron).
    either_day: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct CronError(pub String);

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "schedule spec: {}", self.0)
    }
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// The longest spec taken (a spec is a short line; this bounds the parse).
pub const MAX_SPEC: usize = 200;

/// One field's allowed values as bits `lo..=hi`. Every number is checked against the field
/// before it is used (a step at most the field's span, so no arithmetic can overflow), and
/// the error says which part is wrong.
fn field(text: &str, lo: u32, hi: u32, names: &[&str], what: &str) -> Result<u64, CronError> {
    let value = |s: &str| -> Result<u32, CronError> {
        let lower = s.to_ascii_lowercase();
        if let Some(i) = names.iter().position(|n| *n == lower) {
            return Ok(i as u32 + lo);
        }
        let n = s
            .parse::<u32>()
            .map_err(|_| CronError(format!("{what} \"{s}\" is not a number")))?;
        if n < lo || n > hi {
            return Err(CronError(format!("{what} \"{s}\" is outside {lo}-{hi}")));
        }
        Ok(n)
    };
    // A step as long as the field at most: `*/59` is the longest a minute takes.
    let span = hi - lo;
    let mut bits = 0u64;
    for part in text.split(',') {
        let stepped = part.contains('/');
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let step = s
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=span.max(1)).contains(n))
                    .ok_or_else(|| {
                        CronError(format!(
                            "{what} step \"{s}\" is not a whole number from 1 to {}",
                            span.max(1)
                        ))
                    })?;
                (r, step)
            }
            None => (part, 1),
        };
        let (a, b) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?)
        } else {
            let a = value(range)?;
            // `5/15`: from 5 to the end, every 15 (`5/1`: every one from 5).
            (a, if stepped { hi } else { a })
        };
        if a > b {
            return Err(CronError(format!(
                "{what} range \"{range}\" runs backwards (from {a} down to {b})"
            )));
        }
        // `a..=b` lies within `lo..=hi` (at most 0..=59) and `step` within 1..=59: no value
        // passes 63, and the iterator does the stepping without any sum of ours.
        for v in (a..=b).step_by(step as usize) {
            bits |= 1u64 << v;
        }
    }
    Ok(bits)
}

impl Spec {
    pub fn parse(spec: &str) -> Result<Spec, CronError> {
        if spec.len() > MAX_SPEC {
            return Err(CronError(format!("longer than {MAX_SPEC} characters")));
        }
        let spec = match spec.trim() {
            "@hourly" => "0 * * * *",
            "@daily" | "@midnight" => "0 0 * * *",
            "@weekly" => "0 0 * * 0",
            "@monthly" => "0 0 1 * *",
            "@yearly" | "@annually" => "0 0 1 1 *",
            s => s,
        };
        let parts: Vec<&str> = spec.split_whitespace().collect();
        let [min, hour, dom, mon, dow] = parts[..] else {
            return Err(CronError(format!(
                "\"{spec}\" has {} fields, not 5 (minute hour day-of-month month day-of-week)",
                parts.len()
            )));
        };
        Ok(Spec {
            minutes: field(min, 0, 59, &[], "minute")?,
            hours: field(hour, 0, 23, &[], "hour")? as u32,
            days: field(dom, 1, 31, &[], "day of month")? as u32,
            months: field(mon, 1, 12, &MONTHS, "month")? as u16,
            // Day of week 7 is Sunday too.
            weekdays: {
                let bits = field(dow, 0, 7, &DAYS, "day of week")?;
                ((bits | (bits >> 7)) & 0x7f) as u8
            },
            either_day: dom != "*" && dow != "*",
        })
    }

    fn day_ok(&self, day: u32, weekday: u32) -> bool {
        let dom = self.days & (1 << day) != 0;
        let dow = self.weekdays & (1 << weekday) != 0;
        if self.either_day {
            dom || dow
        } else {
            dom && dow
        }
    }

    /// The first tick strictly after `after_secs` (Unix seconds, UTC), as Unix seconds; `None`
    /// when none comes in the next eight years (`0 0 31 2 *`: never).
    pub fn next_after(&self, after_secs: i64) -> Option<i64> {
        let start = after_secs.div_euclid(60) + 1; // the next whole minute
        let mut day = start.div_euclid(1440);
        let mut minute_of_day = start.rem_euclid(1440);
        let last_day = day + 8 * 366;
        while day <= last_day {
            let (_, month, dom) = civil_from_days(day);
            let weekday = (day + 4).rem_euclid(7) as u32; // 1970-01-01 was a Thursday
            if self.months & (1 << month) != 0 && self.day_ok(dom, weekday) {
                for m in minute_of_day..1440 {
                    let (h, mm) = (m / 60, m % 60);
                    if self.hours & (1 << h) != 0 && self.minutes & (1 << mm) != 0 {
                        return Some((day * 1440 + m) * 60);
                    }
                }
            }
            day += 1;
            minute_of_day = 0;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-29T15:47:00Z (a Sunday).
    const T: i64 = 1_795_967_220;

    fn next(spec: &str, after: i64) -> i64 {
        Spec::parse(spec)
            .expect(spec)
            .next_after(after)
            .expect("a tick")
    }

    #[test]
    fn the_calendar_is_right() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(T / 86_400), (2026, 11, 29));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn the_specs_of_the_real_exports_tick_as_cron_does() {
        // "0 0 * * *" (the fixtures' packages): the next midnight.
        assert_eq!(next("0 0 * * *", T), 1_795_996_800); // 2026-11-30T00:00Z
        assert_eq!(next("@daily", T), 1_795_996_800);
        // Every 15 minutes.
        assert_eq!(next("*/15 * * * *", T), T + 13 * 60); // 16:00
                                                          // A tick exactly at `after` is not "after".
        assert_eq!(next("0 16 * * *", T + 13 * 60), T + 13 * 60 + 86_400);
        // Weekdays at 02:30: Sunday the 29th -> Monday the 30th.
        assert_eq!(next("30 2 * * mon-fri", T), 1_796_005_800);
        // Sunday as 0 and as 7.
        assert_eq!(next("0 12 * * 7", T), next("0 12 * * 0", T));
        // Day of month or day of week (both given): the 1st, or any Monday.
        assert_eq!(next("0 0 1 * mon", T), 1_795_996_800);
        // A month by name.
        assert_eq!(
            civil_from_days(next("0 0 1 jan *", T) / 86_400),
            (2027, 1, 1)
        );
        // Leap days come every four years.
        assert_eq!(
            civil_from_days(next("0 0 29 2 *", T) / 86_400),
            (2028, 2, 29)
        );
    }

    #[test]
    fn bad_specs_are_refused_in_words() {
        for (bad, says) in [
            ("0 0 * *", "4 fields"),
            ("61 * * * *", "outside 0-59"),
            ("* 24 * * *", "outside 0-23"),
            ("*/0 * * * *", "from 1 to 59"),
            ("x * * * *", "not a number"),
            ("5-1 * * * *", "runs backwards"),
            (
                "59/4294967295 3 * * *",
                "minute step \"4294967295\" is not a whole number from 1 to 59",
            ),
            ("*/60 * * * *", "from 1 to 59"),
            ("0 */24 * * *", "hour step"),
            ("0 0 1-40 * *", "day of month \"40\" is outside 1-31"),
            ("0 0 * 0 *", "month \"0\" is outside 1-12"),
            ("0 0 * * 8", "day of week \"8\" is outside 0-7"),
            ("0 0 * * 1-99999999999", "not a number"),
            ("0 0 * * mon/8", "step"),
        ] {
            let e = Spec::parse(bad).expect_err(bad).to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
        assert!(Spec::parse(&"* ".repeat(200)).is_err());
        assert_eq!(
            Spec::parse("0 0 31 2 *").expect("valid").next_after(T),
            None
        );
    }
}

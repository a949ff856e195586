//! How times, durations and progress read on screen. Pure: the caller passes the time zone
//! offset and "now", so these are the same in a test and in the browser.

use labrelay_api::agents::Progress;
use labrelay_api::time::civil_from_days;

/// `2026-05-02 14:03:07` in local time. `offset_min` is minutes east of UTC (UTC+2 = 120).
pub fn datetime(micros: i64, offset_min: i32) -> String {
    let secs = micros.div_euclid(1_000_000) + i64::from(offset_min) * 60;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The zone a local time is in: `UTC`, `UTC+2`, `UTC-4:30` (`offset_min` east of UTC).
pub fn zone(offset_min: i32) -> String {
    if offset_min == 0 {
        return "UTC".to_string();
    }
    let sign = if offset_min < 0 { '-' } else { '+' };
    let (h, m) = (offset_min.abs() / 60, offset_min.abs() % 60);
    if m == 0 {
        format!("UTC{sign}{h}")
    } else {
        format!("UTC{sign}{h}:{m:02}")
    }
}

/// `2026-05-02 14:03:07 UTC+2`: a local time that says which zone it is in.
pub fn datetime_zone(micros: i64, offset_min: i32) -> String {
    format!("{} {}", datetime(micros, offset_min), zone(offset_min))
}

/// `45 s`, `3 min 20 s`, `2 h 5 min`, `3 d 4 h`, `72 y 30 d` (years of 365 days).
pub fn duration(micros: i64) -> String {
    const DAY: i64 = 86_400;
    let s = micros.max(0) / 1_000_000;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        3600..=86_399 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ if s < 365 * DAY => format!("{} d {} h", s / DAY, s % DAY / 3600),
        _ => format!("{} y {} d", s / (365 * DAY), s % (365 * DAY) / DAY),
    }
}

/// `just now`, `12 s ago`, `in 5 min 0 s`.
pub fn relative(now_micros: i64, then_micros: i64) -> String {
    let delta = now_micros - then_micros;
    if delta.abs() < 2_000_000 {
        "just now".to_string()
    } else if delta > 0 {
        format!("{} ago", duration(delta))
    } else {
        format!("in {}", duration(-delta))
    }
}

/// The text, or a dash where it is empty.
pub fn or_dash(s: &str) -> String {
    if s.is_empty() {
        "—".to_string()
    } else {
        s.to_string()
    }
}

/// `part` of `total` in whole percent, 0..=100 (0 when the total is not known yet).
/// Integers only: float formatting would cost the wasm ~10 KB.
pub fn percent(part: u64, total: u64) -> u64 {
    (part.min(total).saturating_mul(100))
        .checked_div(total)
        .unwrap_or(0)
}

/// `3/10 tests, 2 passed, 1 failed` (or `not started`).
pub fn progress_text(p: &Progress) -> String {
    if p.total == 0 && p.done == 0 {
        return "not started".to_string();
    }
    let mut s = format!("{}/{} tests", p.done, p.total);
    if p.passed > 0 || p.failed > 0 {
        s.push_str(&format!(", {} passed, {} failed", p.passed, p.failed));
    }
    s
}

/// A file name as shown: a character that would make it read as something else
/// (`rtl-\u{202e}txt.exe` shows as `rtl-exe.txt`) written out as `\u{202e}`.
pub fn file_name(name: &str) -> String {
    name.chars()
        .map(|c| match labrelay_api::results::deceptive(c) {
            Some(_) => format!("\\u{{{:x}}}", c as u32),
            None => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_show_what_they_hold() {
        assert_eq!(file_name("final.txt"), "final.txt");
        assert_eq!(file_name("résumé.txt"), "résumé.txt");
        assert_eq!(file_name("rtl-\u{202e}txt.exe"), "rtl-\\u{202e}txt.exe");
    }

    #[test]
    fn dates_in_utc_and_with_offsets() {
        // 2016-04-14T15:15:59Z
        let t = 1_460_646_959_642_459;
        assert_eq!(datetime(t, 0), "2016-04-14 15:15:59");
        assert_eq!(datetime(t, -240), "2016-04-14 11:15:59");
        assert_eq!(datetime(t, 600), "2016-04-15 01:15:59");
        assert_eq!(datetime(0, 0), "1970-01-01 00:00:00");
        assert_eq!(datetime(-1, 0), "1969-12-31 23:59:59");
        // A leap day.
        assert_eq!(datetime(951_782_400_000_000, 0), "2000-02-29 00:00:00");
    }

    #[test]
    fn zones() {
        assert_eq!(zone(0), "UTC");
        assert_eq!(zone(120), "UTC+2");
        assert_eq!(zone(-240), "UTC-4");
        assert_eq!(zone(330), "UTC+5:30");
        assert_eq!(zone(-570), "UTC-9:30");
        assert_eq!(
            datetime_zone(1_460_646_959_642_459, 120),
            "2016-04-14 17:15:59 UTC+2"
        );
    }

    #[test]
    fn durations_and_relative_times() {
        assert_eq!(duration(45_000_000), "45 s");
        assert_eq!(duration(200_000_000), "3 min 20 s");
        assert_eq!(duration(7_500_000_000), "2 h 5 min");
        assert_eq!(duration(273_600_000_000), "3 d 4 h");
        assert_eq!(duration(400 * 86_400_000_000), "1 y 35 d");
        assert_eq!(duration(-5), "0 s");
        assert_eq!(relative(10_000_000, 9_000_000), "just now");
        assert_eq!(relative(70_000_000, 10_000_000), "1 min 0 s ago");
        assert_eq!(relative(0, 300_000_000), "in 5 min 0 s");
    }

    #[test]
    fn progress() {
        let p = |done, total, passed, failed| Progress {
            done,
            total,
            passed,
            failed,
        };
        assert_eq!(percent(0, 0), 0);
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(5, 3), 100);
        assert_eq!(progress_text(&p(0, 0, 0, 0)), "not started");
        assert_eq!(progress_text(&p(0, 4, 0, 0)), "0/4 tests");
        assert_eq!(
            progress_text(&p(3, 4, 2, 1)),
            "3/4 tests, 2 passed, 1 failed"
        );
    }
}

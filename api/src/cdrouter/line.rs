//! One line of a CDRouter log: `YYYY-MM-DD HH:MM:SS.mmm PREFIX(name): message`, where
//! `PREFIX` is a level (`INFO`, `SECTION`, `WARNING`, ...) or a packet direction (`O>>>`,
//! `I<<<`, whose name is `interface-packet` and whose message is `src dst proto info` in
//! padded columns), or `PREFIX: message` without a name (`PASS: ...`, `FAIL: ...`). Lines
//! without a timestamp (test headers, command output) are plain text.

/// A log time as written: local wall-clock time of the lab machine, no zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LogTime {
    /// Microseconds since 1970-01-01T00:00:00 of the same wall clock (as if it were UTC).
    pub wall_micros: i64,
}

impl LogTime {
    /// `2022-08-21 22:23:12.722` (fraction optional, any number of digits).
    pub fn parse(s: &str) -> Option<LogTime> {
        let b = s.as_bytes();
        if b.len() < 19
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b' '
            || b[13] != b':'
            || b[16] != b':'
        {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let part = s.get(r)?;
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())
                .flatten()
        };
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
            return None;
        }
        let mut micros = 0i64;
        if b.len() > 19 {
            let frac = s.get(20..)?;
            if b[19] != b'.' || frac.is_empty() || !frac.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let digits: String = frac.chars().chain(std::iter::repeat('0')).take(6).collect();
            micros = digits.parse().ok()?;
        }
        let days = days_from_civil(y, mo, d);
        let secs = days * 86_400 + h * 3600 + mi * 60 + sec;
        Some(LogTime {
            wall_micros: secs * 1_000_000 + micros,
        })
    }

    /// Back to the log's own form, with milliseconds.
    pub fn format(self) -> String {
        let secs = self.wall_micros.div_euclid(1_000_000);
        let ms = self.wall_micros.rem_euclid(1_000_000) / 1000;
        let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
        let t = secs.rem_euclid(86_400);
        format!(
            "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02}.{ms:03}",
            t / 3600,
            (t / 60) % 60,
            t % 60
        )
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month 1–12, day 1–31) of day `z` since 1970-01-01 (Howard Hinnant's
/// algorithm, proleptic Gregorian).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// A parsed log line. `prefix` and `timestamp` are `None` for plain text lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogLine<'a> {
    pub raw: &'a str,
    pub timestamp: Option<&'a str>,
    pub prefix: Option<&'a str>,
    pub name: Option<&'a str>,
    pub message: &'a str,
    /// Packet lines (`O>>>`, `I<<<`): the interface and packet number from `wan-1`, and the
    /// columns of the message.
    pub packet: Option<Packet<'a>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Packet<'a> {
    pub interface: &'a str,
    pub number: u64,
    pub src: &'a str,
    pub dst: &'a str,
    pub proto: &'a str,
    pub info: &'a str,
}

impl LogLine<'_> {
    pub fn is_section(&self) -> bool {
        self.prefix == Some("SECTION")
    }

    /// The test header of a test log (`Test cdrouter-490: ...`, `Name: ...`) and the rule
    /// lines around it.
    pub fn is_header(&self) -> bool {
        self.timestamp.is_none()
            && (self.raw.starts_with("Test cdrouter-")
                || self.raw.starts_with("Module:")
                || self.raw.starts_with("Name:")
                || self.raw.starts_with("Description:")
                || (self.raw.len() > 20 && self.raw.bytes().all(|b| b == b'-')))
    }
}

pub fn parse_line(raw: &str) -> LogLine<'_> {
    let raw = raw.strip_suffix('\r').unwrap_or(raw);
    let plain = LogLine {
        raw,
        message: raw,
        ..LogLine::default()
    };
    let Some(ts) = raw.get(..23).filter(|t| LogTime::parse(t).is_some()) else {
        return plain;
    };
    let Some(rest) = raw[23..].strip_prefix(' ') else {
        return plain;
    };
    // `PREFIX(name): message` or `PREFIX: message`; the prefix holds no space.
    let word_end = rest.find(' ').unwrap_or(rest.len());
    let word = &rest[..word_end];
    let (prefix, name, after) = if let Some(open) = word.find('(') {
        match rest.find("): ") {
            Some(close) if close > open => (
                &rest[..open],
                Some(&rest[open + 1..close]),
                &rest[close + 3..],
            ),
            _ => match rest.strip_suffix("):") {
                Some(head) if head.len() > open => (&rest[..open], Some(&head[open + 1..]), ""),
                _ => return plain_with(plain, ts, rest),
            },
        }
    } else if let Some(p) = word.strip_suffix(':') {
        (p, None, rest[word_end..].trim_start_matches(' '))
    } else {
        return plain_with(plain, ts, rest);
    };
    if prefix.is_empty() {
        return plain_with(plain, ts, rest);
    }
    let packet = if prefix == "O>>>" || prefix == "I<<<" {
        name.and_then(|n| parse_packet(n, after))
    } else {
        None
    };
    LogLine {
        raw,
        timestamp: Some(ts),
        prefix: Some(prefix),
        name: packet.as_ref().map(|p| p.interface).or(name),
        message: after,
        packet,
    }
}

fn plain_with<'a>(plain: LogLine<'a>, ts: &'a str, rest: &'a str) -> LogLine<'a> {
    LogLine {
        timestamp: Some(ts),
        message: rest,
        ..plain
    }
}

/// `wan-1` + `src   dst   proto   info...`.
fn parse_packet<'a>(name: &'a str, message: &'a str) -> Option<Packet<'a>> {
    let (interface, number) = name.rsplit_once('-')?;
    let number = number.parse().ok()?;
    let mut rest = message.trim_start();
    let mut column = || {
        let end = rest.find(' ').unwrap_or(rest.len());
        let (word, tail) = rest.split_at(end);
        rest = tail.trim_start();
        word
    };
    let (src, dst, proto) = (column(), column(), column());
    Some(Packet {
        interface,
        number,
        src,
        dst,
        proto,
        info: rest,
    })
}

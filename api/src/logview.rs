//! A test's log as CDRouter's `GET results/{id}/tests/{seq}/log` answers it (the official
//! client's `tests.list_log`): every line parsed ([`crate::cdrouter::parse_line`]), numbered
//! from 1, filtered with the query language over [`LINE_SCHEMA`] (`filter=prefix=FAIL`),
//! paged by `offset` (lines to skip, after filtering) and `limit`; `packets=false` leaves out
//! the packet lines. `SECTION` lines carry the counts of the section they open.

use crate::cdrouter::{parse_line, LogLine};
use crate::query::{parse_bool, FilterSet, QueryError, Scalar, ScanBudget, Schema};
use crate::results::{LineSummary, LogLineOut, TestLog};
use std::collections::HashMap;

/// CDRouter's default `limit` (lines).
pub const DEFAULT_LINES: u64 = 700_000;

pub static LINE_SCHEMA: Schema = crate::schema! {
    "line": Int,
    "raw": Str,
    "prefix": Str,
    "name": Str,
    "message": Str,
    "timestamp": Str,
    "interface": Str,
    "src": Str,
    "dst": Str,
    "proto": Str,
    "info": Str,
    "section": Bool,
    "header": Bool,
};

fn out_line(l: &LogLine<'_>, number: u64, summary: LineSummary) -> LogLineOut {
    let packet = l.packet.as_ref();
    LogLineOut {
        raw: l.raw.to_string(),
        line: number,
        header: l.is_header(),
        section: l.is_section(),
        prefix: l.prefix.map(str::to_string),
        name: l.name.map(str::to_string),
        timestamp: l.timestamp.map(str::to_string),
        timestamp_display: l
            .timestamp
            .map(|t| format!(" {}", t.get(11..).unwrap_or(t))),
        message: l.message.to_string(),
        interface: packet.map(|p| p.interface.to_string()),
        packet: packet.map(|p| crate::Id(p.number)),
        src: packet.map(|p| p.src.to_string()),
        dst: packet.map(|p| p.dst.to_string()),
        proto: packet.map(|p| p.proto.to_string()),
        info: packet.map(|p| p.info.to_string()),
        summary,
    }
}

/// A field of a parsed line, for the filters (only the fields they name are built).
fn value_of(l: &LogLine<'_>, number: u64, field: &str) -> Scalar {
    let text = |v: Option<&str>| v.map_or(Scalar::Null, |s| Scalar::Text(s.to_string()));
    let packet = l.packet.as_ref();
    match field {
        "line" => Scalar::Int(number as i64),
        "raw" => Scalar::Text(l.raw.to_string()),
        "prefix" => text(l.prefix),
        "name" => text(l.name),
        "message" => Scalar::Text(l.message.to_string()),
        "timestamp" => text(l.timestamp),
        "interface" => text(packet.map(|p| p.interface)),
        "src" => text(packet.map(|p| p.src)),
        "dst" => text(packet.map(|p| p.dst)),
        "proto" => text(packet.map(|p| p.proto)),
        "info" => text(packet.map(|p| p.info)),
        "section" => Scalar::Int(i64::from(l.is_section())),
        "header" => Scalar::Int(i64::from(l.is_header())),
        _ => Scalar::Null,
    }
}

/// The counts of each `SECTION` line's section (the lines up to the next one), by index.
fn section_summaries(lines: &[LogLine<'_>]) -> HashMap<usize, LineSummary> {
    let mut out = HashMap::new();
    let mut counts = LineSummary::default();
    for (i, l) in lines.iter().enumerate().rev() {
        if l.is_section() {
            out.insert(i, std::mem::take(&mut counts));
            continue;
        }
        match l.prefix {
            Some("FAIL") => counts.fails += 1,
            Some("PASS") => counts.passes += 1,
            Some("WARNING") => counts.warnings += 1,
            Some("ERROR") | Some("FATAL") => counts.errors += 1,
            _ => {}
        }
    }
    out
}

/// `offset`, `limit` (at most `DEFAULT_LINES`) and `packets` of a `list_log` request.
fn page_params(params: &[(String, String)]) -> Result<(u64, u64, bool), QueryError> {
    let mut offset = 0u64;
    let mut limit = DEFAULT_LINES;
    let mut packets = true;
    for (k, v) in params {
        match k.as_str() {
            "offset" if !v.is_empty() => {
                offset = v.parse().map_err(|_| QueryError::Page(v.clone()))?
            }
            "limit" if !v.is_empty() => {
                limit = match v.parse::<u64>() {
                    Ok(n) if n > 0 => n.min(DEFAULT_LINES),
                    _ => return Err(QueryError::Limit(v.clone())),
                }
            }
            "packets" if !v.is_empty() => packets = parse_bool("packets", v)?,
            _ => {}
        }
    }
    Ok((offset, limit, packets))
}

/// The page of `text`'s lines a `list_log` request asks for (`offset`, `limit`, `filter`,
/// `type`, `packets`; other keys ignored). Lines are parsed without copying; only the page
/// is built.
pub fn list_log(text: &str, params: &[(String, String)]) -> Result<TestLog, QueryError> {
    let filters = FilterSet::parse(params, &LINE_SCHEMA)?;
    let residual = filters.residual();
    let fields = residual.fields();
    let (offset, limit, packets) = page_params(params)?;
    let parsed: Vec<LogLine<'_>> = text.lines().map(parse_line).collect();
    let mut budget = ScanBudget::request();
    let mut kept: Vec<usize> = Vec::new();
    for i in (0..parsed.len()).filter(|&i| packets || parsed[i].packet.is_none()) {
        let hit = fields.is_empty() || {
            let row: Vec<Scalar> = fields
                .iter()
                .map(|f| value_of(&parsed[i], i as u64 + 1, f.name))
                .collect();
            residual.matches(&row, &mut budget)?
        };
        if hit {
            kept.push(i);
        }
    }
    let total = kept.len() as u64;
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(kept.len());
    let end = start
        .saturating_add(usize::try_from(limit).unwrap_or(usize::MAX))
        .min(kept.len());
    let page = &kept[start..end];
    let sections = if page.iter().any(|&i| parsed[i].is_section()) {
        section_summaries(&parsed)
    } else {
        HashMap::new()
    };
    let lines = page
        .iter()
        .map(|&i| {
            let summary = sections.get(&i).cloned().unwrap_or_default();
            out_line(&parsed[i], i as u64 + 1, summary)
        })
        .collect();
    Ok(TestLog {
        offset,
        limit,
        more: (end as u64) < total,
        lines,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use labrelay_export::{fixtures_dir, Bundle};

    fn start_txt() -> String {
        let all = Bundle::read_dir(&fixtures_dir()).expect("fixtures");
        let (_, b) = all
            .iter()
            .find(|(n, _)| n.ends_with("-fail"))
            .expect("fail");
        b.results[0].text("start.txt").expect("start.txt")
    }

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_official_clients_own_expectations_hold() {
        // cdrouter.py tests/test_testresults.py, test_list_log, against this very log.
        let log = list_log(&start_txt(), &[]).expect("list");
        assert_eq!(
            (log.offset, log.limit, log.total, log.more),
            (0, 700_000, 558, false)
        );
        assert_eq!(log.lines.len(), 558);
        let l = &log.lines[53];
        assert!(l.raw.contains("Started cdrouter-cli"));
        assert_eq!(l.line, 54);
        assert!(l.section);
        assert_eq!(l.prefix.as_deref(), Some("SECTION"));
        assert_eq!(l.name.as_deref(), Some("setup"));
        assert_eq!(l.timestamp.as_deref(), Some("2022-08-21 22:23:12.722"));
        assert_eq!(l.timestamp_display.as_deref(), Some(" 22:23:12.722"));
        assert_eq!(
            l.message,
            "Started cdrouter-cli Sun Aug 21 22:23:08 EDT 2022"
        );
        let pk = &log.lines[142];
        assert_eq!(pk.line, 143);
        assert_eq!(pk.prefix.as_deref(), Some("O>>>"));
        assert_eq!(pk.name.as_deref(), Some("wan"));
        assert_eq!(pk.interface.as_deref(), Some("wan"));
        assert_eq!(pk.packet, Some(crate::Id(1)));
        assert_eq!(pk.src.as_deref(), Some("b0:75:0c:40:41:26"));
        assert_eq!(pk.dst.as_deref(), Some("ff:ff:ff:ff:ff:ff"));
        assert_eq!(pk.proto.as_deref(), Some("ARP"));
        assert_eq!(pk.info.as_deref(), Some("Who is 5.5.5.1, tell 5.5.5.1"));
    }

    #[test]
    fn offset_limit_filter_and_packets() {
        let text = start_txt();
        let page = list_log(&text, &p(&[("offset", "53"), ("limit", "1")])).expect("page");
        assert_eq!(page.lines[0].line, 54);
        assert!(page.more);
        let sections = list_log(&text, &p(&[("filter", "prefix=SECTION")])).expect("filter");
        assert!(sections.total > 0 && sections.lines.iter().all(|l| l.section));
        let no_packets = list_log(&text, &p(&[("packets", "false")])).expect("packets");
        assert!(no_packets.lines.iter().all(|l| l.interface.is_none()));
        assert!(no_packets.total < 558);
        for bad in [
            ("filter", "nope=1"),
            ("limit", "0"),
            ("offset", "-1"),
            ("packets", "maybe"),
        ] {
            assert!(list_log(&text, &p(&[bad])).is_err(), "{bad:?}");
        }
    }
}

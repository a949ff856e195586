//! Builds the API's `filter=` strings from what people type in the filter bar. Building only:
//! the query language (and its error messages) lives in `labrelay_api::query`, and the
//! server says when a filter is wrong.

/// `field=value`.
pub fn eq(field: &str, value: &str) -> String {
    format!("{field}={value}")
}

/// `field~*text`: a case-insensitive match of the text as typed (regex characters escaped,
/// so `c++` finds "c++", not an error).
pub fn contains_ci(field: &str, text: &str) -> String {
    format!("{field}~*{}", regex_escape(text.trim()))
}

/// `field@>{a,b}`: the array holds all of these.
pub fn contains_all(field: &str, items: &[String]) -> String {
    format!("{field}@>{{{}}}", items.join(","))
}

/// Escapes the characters Rust's `regex` treats as special.
pub fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A list typed as `a, b c`: items split on commas and spaces; the characters an array
/// value cannot hold (`{`, `}`) are dropped, and so are repeats.
pub fn split_list(input: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in input.split(|c: char| c == ',' || c.is_whitespace()) {
        let item: String = item.chars().filter(|c| !matches!(c, '{' | '}')).collect();
        if !item.is_empty() && !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// The jobs search box. Terms (split on spaces) must all hold:
/// - a number finds that job id; a 14-digit number a result id (`YYYYMMDDHHMMSS`);
/// - `device:x`, `config:x`, `package:x`, `reason:x` match that name (case-insensitive);
/// - `agent:N` finds the jobs of lab agent N;
/// - any other word matches the device name.
pub fn job_search(text: &str) -> Vec<String> {
    text.split_whitespace().map(job_term).collect()
}

fn job_term(term: &str) -> String {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let term = term.trim_start_matches('#');
    if digits(term) {
        return if term.len() == 14 {
            eq("result_id", term)
        } else {
            eq("id", term)
        };
    }
    if let Some((key, value)) = term.split_once(':') {
        let field = match key {
            "device" => Some("device_name"),
            "config" => Some("config_name"),
            "package" => Some("package_name"),
            "reason" => Some("reason"),
            _ => None,
        };
        if let Some(field) = field {
            return contains_ci(field, value);
        }
        if key == "agent" && digits(value) {
            return eq("agent_id", value);
        }
    }
    contains_ci("device_name", term)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_common_filters() {
        assert_eq!(eq("status", "running"), "status=running");
        assert_eq!(contains_ci("package_name", " nat "), "package_name~*nat");
        assert_eq!(
            contains_all("tags", &["nightly".into(), "lab2".into()]),
            "tags@>{nightly,lab2}"
        );
    }

    #[test]
    fn escapes_regex_characters() {
        assert_eq!(regex_escape("c++ (v1.2)"), r"c\+\+ \(v1\.2\)");
        assert_eq!(regex_escape("plain_name"), "plain_name");
        assert_eq!(regex_escape("a|b$"), r"a\|b\$");
    }

    #[test]
    fn splits_lists_on_commas_and_spaces() {
        assert_eq!(split_list("a, b  c,,a"), ["a", "b", "c"]);
        assert_eq!(split_list(" {x} "), ["x"]);
        assert!(split_list(" , ").is_empty());
    }

    #[test]
    fn search_terms() {
        assert_eq!(job_search("12"), ["id=12"]);
        assert_eq!(job_search("#12"), ["id=12"]);
        assert_eq!(job_search("20260102030405"), ["result_id=20260102030405"]);
        assert_eq!(
            job_search("config:lab.1 agent:3 reason:lost"),
            ["config_name~*lab\\.1", "agent_id=3", "reason~*lost"]
        );
        assert_eq!(job_search("router7"), ["device_name~*router7"]);
        assert_eq!(job_search("x:y"), ["device_name~*x:y"]);
        assert!(job_search("   ").is_empty());
    }
}

//! URL query strings: percent-encoding and `key=value&...` pairs. The app's one codec, used
//! both for its own URLs (the view state) and for the API's list parameters.

/// Percent-encodes everything but RFC 3986's unreserved characters, as JavaScript's
/// `encodeURIComponent` does (a little stricter), so any filter text survives a URL.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(hex(b >> 4));
            out.push(hex(b & 0xf));
        }
    }
    out
}

fn hex(n: u8) -> char {
    char::from(b"0123456789ABCDEF"[usize::from(n & 0xf)])
}

fn unhex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` and `+` (a space in form encoding). Malformed escapes are kept as they are.
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(unhex);
            let lo = bytes.get(i + 2).copied().and_then(unhex);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(if b == b'+' { b' ' } else { b });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `a=1&b=x%20y` (a leading `?` is allowed) as decoded pairs, in order, repeats kept.
pub fn parse(qs: &str) -> Vec<(String, String)> {
    qs.trim_start_matches('?')
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| match part.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(part), String::new()),
        })
        .collect()
}

/// Builds a query string from pairs, encoding each key and value.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn new() -> Query {
        Query::default()
    }

    pub fn push(mut self, key: &str, value: impl ToString) -> Query {
        self.0.push((key.to_string(), value.to_string()));
        self
    }

    /// Adds the pair only when `value` is not empty.
    pub fn push_nonempty(self, key: &str, value: &str) -> Query {
        if value.is_empty() {
            self
        } else {
            self.push(key, value)
        }
    }

    pub fn push_all<S: AsRef<str>>(mut self, key: &str, values: &[S]) -> Query {
        for v in values {
            self = self.push(key, v.as_ref());
        }
        self
    }

    /// `k=v&k2=v2`, without a leading `?`.
    pub fn build(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// `path` with `?query` appended when there is a query.
    pub fn url(&self, path: &str) -> String {
        if self.0.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{}", self.build())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_filter_syntax_and_unicode() {
        assert_eq!(encode("tags@>{a,b}"), "tags%40%3E%7Ba%2Cb%7D");
        assert_eq!(encode("name~*nat 1"), "name~%2Anat%201");
        assert_eq!(encode("é"), "%C3%A9");
        assert_eq!(encode("a-b_c.d~e"), "a-b_c.d~e");
    }

    #[test]
    fn decode_is_the_inverse_and_tolerant() {
        for s in ["tags@>{a,b}", "x=1&y", "é ü", "100%", "%zz", "a+b"] {
            assert_eq!(decode(&encode(s)), s);
        }
        assert_eq!(decode("a+b%20c"), "a b c");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%4"), "%4");
        assert_eq!(decode("%zz"), "%zz");
    }

    #[test]
    fn parses_pairs_in_order_with_repeats() {
        assert_eq!(
            parse("?filter=a%3D1&filter=b&page=2&flag"),
            vec![
                ("filter".to_string(), "a=1".to_string()),
                ("filter".to_string(), "b".to_string()),
                ("page".to_string(), "2".to_string()),
                ("flag".to_string(), String::new()),
            ]
        );
        assert!(parse("").is_empty());
        assert!(parse("?").is_empty());
    }

    #[test]
    fn builds_and_round_trips() {
        let q = Query::new()
            .push("page", 2)
            .push_nonempty("status", "")
            .push_all("filter", &["status=running", "tags@>{x}"]);
        assert_eq!(
            q.build(),
            "page=2&filter=status%3Drunning&filter=tags%40%3E%7Bx%7D"
        );
        assert_eq!(parse(&q.build()).len(), 3);
        assert_eq!(q.url("/jobs"), format!("/jobs?{}", q.build()));
        assert_eq!(Query::new().url("/jobs"), "/jobs");
    }
}

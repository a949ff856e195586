//! The path patterns of the worker's two route tables (`entry/table.rs`, `store/route_table.rs`):
//! `/api/v1/jobs/{id}/stop?bulk=launch` — `{x}` matches one segment, a trailing `?k` / `?k=v`
//! is the query switch that selects the row (`k` present; `k` with that value). Trailing and
//! doubled slashes do not count.

/// The path part and the query switch of `pattern`.
fn split(pattern: &'static str) -> (&'static str, Option<&'static str>) {
    match pattern.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (pattern, None),
    }
}

/// The indexes in `segs` (a path's non-empty segments) of the `{x}` values, when the path fits
/// `pattern`.
pub fn captures(pattern: &'static str, segs: &[&str]) -> Option<Vec<usize>> {
    let mut out = Vec::new();
    let mut n = 0;
    for p in split(pattern).0.split('/').filter(|s| !s.is_empty()) {
        let seg = segs.get(n)?;
        if p.starts_with('{') {
            out.push(n);
        } else if p != *seg {
            return None;
        }
        n += 1;
    }
    (n == segs.len()).then_some(out)
}

/// Whether a query whose values `param` gives has `pattern`'s switch (none: always).
pub fn switched<'q>(pattern: &'static str, param: impl Fn(&str) -> Option<&'q str>) -> bool {
    match split(pattern).1 {
        None => true,
        Some(q) => match q.split_once('=') {
            Some((k, v)) => param(k) == Some(v),
            None => param(q).is_some(),
        },
    }
}

/// A table row's method: `ANY` (`None`: every method) or one of `worker::Method`.
macro_rules! method {
    (ANY) => {
        None
    };
    (GET) => {
        Some(worker::Method::Get)
    };
    (HEAD) => {
        Some(worker::Method::Head)
    };
    (POST) => {
        Some(worker::Method::Post)
    };
    (PUT) => {
        Some(worker::Method::Put)
    };
    (PATCH) => {
        Some(worker::Method::Patch)
    };
    (DELETE) => {
        Some(worker::Method::Delete)
    };
}

pub(crate) use method;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_and_switches() {
        let segs = ["api", "v1", "jobs", "7", "stop"];
        assert_eq!(captures("/api/v1/jobs/{id}/stop", &segs), Some(vec![3]));
        assert_eq!(captures("/api/v1/jobs/{id}", &segs), None);
        assert_eq!(captures("/api/v1/jobs/{id}/stop/{x}", &segs), None);
        let q = |k: &str| (k == "bulk").then_some("launch");
        assert!(switched("/api/v1/jobs?bulk=launch", q));
        assert!(switched("/api/v1/jobs?bulk", q));
        assert!(!switched("/api/v1/jobs?bulk=delete", q));
        assert!(!switched("/api/v1/jobs?process", q));
        assert!(switched("/api/v1/jobs", q));
    }
}

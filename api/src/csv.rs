//! Lists as CSV (CDRouter's `?format=csv` on `results/` and `results/{id}/tests/`, the
//! official client's `list_csv`): a header of the list's fields — its query schema's, the
//! columns declared once — then a row per record, RFC 4180 quoting. A text cell that a
//! spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) gets a leading `'`.

use crate::query::Schema;
use serde_json::Value;

/// The columns of a list: its schema's fields, `id` first.
pub fn columns(schema: &Schema) -> Vec<&'static str> {
    let mut cols = vec!["id"];
    cols.extend(schema.fields.iter().map(|f| f.name).filter(|n| *n != "id"));
    cols
}

/// One cell: scalars as they read, a list of scalars joined with `,`, anything else as JSON.
fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => {
            if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                format!("'{s}")
            } else {
                s.clone()
            }
        }
        Some(Value::Array(items)) if items.iter().all(|i| !i.is_object() && !i.is_array()) => items
            .iter()
            .map(|i| cell(Some(i)))
            .collect::<Vec<_>>()
            .join(","),
        Some(v @ (Value::Array(_) | Value::Object(_))) => v.to_string(),
        Some(v) => v.to_string(),
    }
}

fn quoted(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The table: a header line, then a line per record (`\r\n` ends each, as RFC 4180 says).
pub fn table(columns: &[&str], records: &[Value]) -> String {
    let mut out = columns.join(",");
    out.push_str("\r\n");
    for r in records {
        let line: Vec<String> = columns.iter().map(|c| quoted(&cell(r.get(*c)))).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_become_quoted_rows_under_the_header() {
        let rows = [
            json!({"id": "20220821222306", "tags": ["a", "b"], "note": "say \"hi\", then go",
                   "pass": 3, "active": false, "options": {"x": 1}}),
            json!({"id": "2", "tags": [], "note": "=HYPERLINK(\"http://evil\")", "pass": null}),
        ];
        let csv = table(&["id", "tags", "note", "pass", "active", "options"], &rows);
        assert_eq!(
            csv,
            "id,tags,note,pass,active,options\r\n\
             20220821222306,\"a,b\",\"say \"\"hi\"\", then go\",3,false,\"{\"\"x\"\":1}\"\r\n\
             2,,\"'=HYPERLINK(\"\"http://evil\"\")\",,,\r\n"
        );
        assert!(csv.contains("20220821222306,"));
    }
}

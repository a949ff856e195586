//! `ListQuery::parse`, `FilterSet::parse`, `parse_bool` and sorting.

use super::*;

fn list(pairs: &[(&str, &str)]) -> Result<ListQuery, String> {
    ListQuery::parse(&params(pairs), &SCHEMA).map_err(|e| e.to_string())
}

fn list_err(pairs: &[(&str, &str)]) -> String {
    match list(pairs) {
        Ok(q) => panic!("{pairs:?} parsed: {q:?}"),
        Err(e) => e,
    }
}

#[test]
fn defaults() {
    let q = list(&[]).expect("empty");
    assert!(q.filters.is_empty());
    assert_eq!(q.combine, Combine::Inter);
    assert!(q.sort.is_empty());
    assert_eq!(
        q.page,
        PageRequest {
            page: 1,
            limit: Some(25)
        }
    );
    assert!(!q.detailed);
    assert_eq!(q, ListQuery::default());
}

#[test]
fn reads_every_key_and_ignores_others() {
    let q = list(&[
        ("filter", "id>=10"),
        ("filter", ""),
        ("filter", "options.tags@>{nightly}"),
        ("type", "union"),
        ("sort", "-status,name"),
        ("page", "3"),
        ("limit", "none"),
        ("detailed", "TRUE"),
        ("fields", "whatever"),
        ("", "x"),
    ])
    .expect("parse");
    let raws: Vec<&str> = q.filters.iter().map(|f| f.raw.as_str()).collect();
    assert_eq!(raws, ["id>=10", "options.tags@>{nightly}"]);
    assert_eq!(q.combine, Combine::Union);
    let sort: Vec<(&str, bool)> = q
        .sort
        .iter()
        .map(|k| (k.field.name, k.descending))
        .collect();
    assert_eq!(sort, [("status", true), ("name", false)]);
    assert_eq!(
        q.page,
        PageRequest {
            page: 3,
            limit: None
        }
    );
    assert!(q.detailed);
}

#[test]
fn type_values() {
    for (raw, want) in [
        ("inter", Combine::Inter),
        ("union", Combine::Union),
        ("UNION", Combine::Union),
    ] {
        assert_eq!(list(&[("type", raw)]).map(|q| q.combine), Ok(want), "{raw}");
    }
    assert_eq!(
        list_err(&[("type", "x")]),
        r#"invalid type "x": must be inter or union"#
    );
    assert_eq!(
        list_err(&[("type", "")]),
        r#"invalid type "": must be inter or union"#
    );
    assert_eq!(
        list_err(&[("type", "and")]),
        r#"invalid type "and": must be inter or union"#
    );
}

#[test]
fn detailed_and_parse_bool() {
    for (raw, want) in [
        ("true", true),
        ("True", true),
        ("1", true),
        ("false", false),
        ("FALSE", false),
        ("0", false),
    ] {
        assert_eq!(parse_bool("detailed", raw), Ok(want), "{raw}");
        assert_eq!(
            list(&[("detailed", raw)]).map(|q| q.detailed),
            Ok(want),
            "{raw}"
        );
    }
    for raw in ["x", "", "yes", "2", " true"] {
        assert_eq!(
            list_err(&[("detailed", raw)]),
            format!("invalid detailed \"{raw}\": must be true or false")
        );
    }
    assert_eq!(
        parse_bool("force", "maybe").map_err(|e| e.to_string()),
        Err(r#"invalid force "maybe": must be true or false"#.to_string())
    );
}

#[test]
fn page_and_limit_errors() {
    assert_eq!(
        list(&[("page", "2"), ("limit", "1000")]).map(|q| q.page),
        Ok(PageRequest {
            page: 2,
            limit: Some(1000)
        })
    );
    assert_eq!(list(&[("limit", "NONE")]).map(|q| q.page.limit), Ok(None));
    for raw in ["0", "-1", "1.5", "x", "", "+1", " 1"] {
        assert_eq!(
            list_err(&[("page", raw)]),
            format!("invalid page \"{raw}\": must be a positive integer")
        );
    }
    // Past any list the store holds, and past what an offset may be: refused, not a 500.
    for raw in ["1000001", "99999999999999999999999", "18446744073709551615"] {
        assert_eq!(
            list_err(&[("page", raw)]),
            format!("invalid page \"{raw}\": at most 1000000")
        );
    }
    assert!(list(&[("page", "1000000")]).is_ok());
    // At most 32 filters, each value bounded.
    let many: Vec<(&str, String)> = (0..33).map(|i| ("filter", format!("id={i}"))).collect();
    let many: Vec<(String, String)> = many.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    assert_eq!(
        ListQuery::parse(&many, &SCHEMA)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err("too many filters: at most 32 in one request".to_string())
    );
    let wide = format!(
        "filter=tags@>{{{}}}",
        (0..65).map(|i| i.to_string()).collect::<Vec<_>>().join(",")
    );
    assert!(list_err(&[("filter", &wide["filter=".len()..])]).contains("too many elements"));
    for raw in ["0", "1001", "-1", "x", "", "all", "1e3"] {
        assert_eq!(
            list_err(&[("limit", raw)]),
            format!("invalid limit \"{raw}\": must be a positive integer up to 1000 or none")
        );
    }
}

#[test]
fn first_error_wins_and_filter_errors_surface() {
    assert_eq!(
        list_err(&[("filter", "foo~~")]),
        r#"invalid filter "foo~~": unknown field "foo""#
    );
    assert_eq!(
        list_err(&[("filter", "id>abc"), ("sort", "bogus")]),
        r#"invalid filter "id>abc": "abc" is not a number"#
    );
}

#[test]
fn filter_set_reads_only_filters_and_type() {
    let set = FilterSet::parse(
        &params(&[
            ("filter", "name=x"),
            ("type", "union"),
            ("sort", "bogus"),
            ("page", "0"),
            ("filter", ""),
        ]),
        &SCHEMA,
    )
    .expect("parse");
    assert_eq!(set.filters.len(), 1);
    assert_eq!(set.combine, Combine::Union);
    assert_eq!(
        FilterSet::parse(&params(&[("filter", "nonsense")]), &SCHEMA).map_err(|e| e.to_string()),
        Err(r#"invalid filter "nonsense": missing operator"#.to_string())
    );
    assert_eq!(set.residual().filters().len(), 1);
}

#[test]
fn sort_parsing() {
    let cases: [(&str, &[(&str, bool)]); 6] = [
        ("id", &[("id", false)]),
        ("-id", &[("id", true)]),
        ("status,-created", &[("status", false), ("created", true)]),
        ("options.begin_at", &[("options.begin_at", false)]),
        (
            "-active,score,name",
            &[("active", true), ("score", false), ("name", false)],
        ),
        ("", &[]),
    ];
    for (raw, want) in cases {
        let q = list(&[("sort", raw)]).expect(raw);
        let got: Vec<(&str, bool)> = q
            .sort
            .iter()
            .map(|k| (k.field.name, k.descending))
            .collect();
        assert_eq!(got, want, "{raw}");
    }
}

#[test]
fn sort_errors() {
    let cases = [
        ("bogus", r#"invalid sort "bogus": unknown field "bogus""#),
        ("-bogus", r#"invalid sort "-bogus": unknown field "bogus""#),
        (
            "id,bogus",
            r#"invalid sort "id,bogus": unknown field "bogus""#,
        ),
        (
            "tags",
            r#"invalid sort "tags": cannot sort by array field "tags""#,
        ),
        (
            "-options.tags",
            r#"invalid sort "-options.tags": cannot sort by array field "options.tags""#,
        ),
        ("id,,name", r#"invalid sort "id,,name": empty sort field"#),
        ("-", r#"invalid sort "-": empty sort field"#),
        ("id,", r#"invalid sort "id,": empty sort field"#),
        ("id,-id", r#"invalid sort "id,-id": field "id" repeated"#),
        (" id", r#"invalid sort " id": unknown field " id""#),
        ("--id", r#"invalid sort "--id": unknown field "-id""#),
    ];
    for (raw, want) in cases {
        assert_eq!(list_err(&[("sort", raw)]), want, "{raw}");
    }
}

#[test]
fn order_by_sql() {
    let cases = [
        ("", "id ASC"),
        ("-status", "status DESC, id DESC"),
        ("status,-created", "status ASC, created DESC, id DESC"),
        ("-id", "id DESC"),
        ("name,-id", "name ASC, id DESC"),
        (
            "options.begin_at",
            "json_extract(options, '$.begin_at') ASC, id ASC",
        ),
    ];
    for (raw, want) in cases {
        let q = list(&[("sort", raw)]).expect(raw);
        assert_eq!(q.order_by_sql("id ASC"), want, "{raw}");
    }
    assert_eq!(
        ListQuery::default().order_by_sql("created DESC"),
        "created DESC"
    );
}

/// A long list sorts only in an order an index serves; a short one in any order.
#[test]
fn sort_cost() {
    use crate::query::{check_sort_cost, MAX_SORT_ROWS};
    let indexed = ["status", "score"];
    let big = MAX_SORT_ROWS + 1;
    for sort in ["", "id", "-id", "status", "-status", "-score", "score,id"] {
        let order = list(&[("sort", sort)]).expect(sort).order_by_sql("id ASC");
        assert_eq!(check_sort_cost(&order, &indexed, big), Ok(()), "{sort}");
    }
    for sort in ["name", "-score,id", "status,-id", "created", "status,name"] {
        let order = list(&[("sort", sort)]).expect(sort).order_by_sql("id ASC");
        assert_eq!(
            check_sort_cost(&order, &indexed, MAX_SORT_ROWS),
            Ok(()),
            "{sort}"
        );
        let err = check_sort_cost(&order, &indexed, big).expect_err(sort);
        assert_eq!(
            err.to_string(),
            format!(
                "sort too costly: sorting {big} rows by a field without an index reads them all; at most {MAX_SORT_ROWS}: narrow the list with a filter, or sort by id, status, score"
            ),
            "{sort}"
        );
    }
}

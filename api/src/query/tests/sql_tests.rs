//! `plan`: the SQL text and binds, and how regex filters move to the residual.

use super::*;

fn set(raws: &[&str], combine: Combine) -> FilterSet {
    FilterSet {
        filters: raws.iter().map(|r| filter(r)).collect(),
        combine,
    }
}

fn residual_names(p: &Plan) -> Option<Vec<&'static str>> {
    p.residual
        .as_ref()
        .map(|r| r.fields().iter().map(|f| f.name).collect())
}

#[test]
fn no_filters_select_everything() {
    for combine in [Combine::Inter, Combine::Union] {
        let p = set(&[], combine).plan();
        assert_eq!(p.where_sql, "1");
        assert!(p.binds.is_empty());
        assert!(p.residual.is_none());
    }
}

#[test]
fn scalar_sql_and_binds() {
    let t = us("2024-01-01T00:00:00Z");
    let cases: Vec<(&str, &str, Bind)> = vec![
        ("id>=10", "(id) >= ?", Bind::Int(10)),
        ("score<-5", "(score) < ?", Bind::Int(-5)),
        ("score<=1", "(score) <= ?", Bind::Int(1)),
        ("score>1", "(score) > ?", Bind::Int(1)),
        ("name=x", "(name) = ?", Bind::Text("x".into())),
        ("name!=x", "(name) IS NOT ?", Bind::Text("x".into())),
        ("active=true", "(active) = ?", Bind::Int(1)),
        ("active!=false", "(active) IS NOT ?", Bind::Int(0)),
        (
            "created=2024-01-01T01:00:00+01:00",
            "(created) = ?",
            Bind::Int(t),
        ),
        (
            "options.begin_at=cdrouter_nat_1",
            "(json_extract(options, '$.begin_at')) = ?",
            Bind::Text("cdrouter_nat_1".into()),
        ),
    ];
    for (raw, sql, bind) in cases {
        let p = set(&[raw], Combine::Inter).plan();
        assert_eq!(p.where_sql, format!("({sql})"), "{raw}");
        assert_eq!(p.binds, vec![bind], "{raw}");
        assert!(p.residual.is_none(), "{raw}");
    }
}

#[test]
fn array_binds_are_json() {
    // The text hint's element binds first, then the exact test's JSON array.
    let p = set(&["tags@>{a,\"b,c\"}"], Combine::Inter).plan();
    assert_eq!(
        p.binds,
        vec![
            Bind::Text("a".into()),
            Bind::Text("b,c".into()),
            Bind::Text(r#"["a","b,c"]"#.into())
        ]
    );
    assert!(p.where_sql.contains("json_each(?)"));
    assert!(p
        .where_sql
        .starts_with("((instr(tags, ?) > 0 AND instr(tags, ?) > 0) AND (NOT EXISTS"));
    for (raw, binds) in [
        ("tags<@{}", 1),
        ("tags@>{}", 1),
        ("tags&&{a}", 2),
        ("tags&&{a,b}", 3),
        ("tags={a}", 3),
        ("tags!={a}", 2),
        // Nothing to search for plainly: no hint.
        ("tags@>{\"a\\\"b\"}", 1),
        ("tags@>{\"\"}", 1),
    ] {
        let p = set(&[raw], Combine::Inter).plan();
        assert_eq!(p.binds.len(), binds, "{raw}");
        assert_eq!(p.where_sql.matches('?').count(), binds, "{raw}");
    }
}

/// The hint searches the column a nested array is read from.
#[test]
fn array_hint_searches_the_json_column() {
    let p = set(&["options.tags@>{nightly}"], Combine::Inter).plan();
    assert!(
        p.where_sql.starts_with("((instr(options, ?) > 0) AND"),
        "{}",
        p.where_sql
    );
}

#[test]
fn inter_moves_only_regex_to_the_residual() {
    let p = set(
        &["id>=10", "name~^a", "status=x", "status!~*b"],
        Combine::Inter,
    )
    .plan();
    // The anchored literal prefix of `name~^a` also narrows the SQL; the residual decides.
    assert_eq!(
        p.where_sql,
        "((id) >= ?) AND ((status) = ?) AND (substr((name), 1, 1) = ?)"
    );
    assert_eq!(
        p.binds,
        vec![
            Bind::Int(10),
            Bind::Text("x".into()),
            Bind::Text("a".into())
        ]
    );
    assert_eq!(residual_names(&p), Some(vec!["name", "status"]));
    assert_eq!(p.residual.as_ref().map(|r| r.filters().len()), Some(2));

    let only_regex = set(&["name~a"], Combine::Inter).plan();
    assert_eq!(only_regex.where_sql, "1");
    assert!(only_regex.binds.is_empty());
}

#[test]
fn union_without_regex_is_all_sql() {
    let p = set(&["id<3", "name=x"], Combine::Union).plan();
    assert_eq!(p.where_sql, "((id) < ?) OR ((name) = ?)");
    assert_eq!(p.binds.len(), 2);
    assert!(p.residual.is_none());
}

#[test]
fn union_with_regex_is_all_residual() {
    let p = set(&["status=x", "name~^a", "id<3"], Combine::Union).plan();
    assert_eq!(p.where_sql, "1");
    assert!(p.binds.is_empty());
    assert_eq!(residual_names(&p), Some(vec!["status", "name", "id"]));
    assert_eq!(p.residual.as_ref().map(|r| r.filters().len()), Some(3));
}

#[test]
fn list_query_and_filter_set_plan_alike() {
    let q = ListQuery::parse(
        &params(&[("filter", "id>1"), ("filter", "name~x"), ("type", "union")]),
        &SCHEMA,
    )
    .expect("parse");
    assert_eq!(q.plan(), q.filter_set().plan());
    assert_eq!(q.plan(), plan(&q.filters, q.combine));
}

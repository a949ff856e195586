//! Differential tests against a real SQLite: the compiled SQL plus the Rust residual must select
//! exactly the expected rows, and agree with evaluating every filter in Rust.

use super::*;
use rusqlite::types::{Value as Sql, ValueRef};
use rusqlite::{params_from_iter, Connection};
use std::collections::BTreeSet;

const LAST_ID: i64 = 50;

struct Row {
    id: i64,
    name: Option<String>,
    status: Option<String>,
    score: Sql,
    active: Option<bool>,
    created: Option<i64>,
    tags: Option<String>,
    options: Option<String>,
}

#[allow(clippy::too_many_arguments)]
fn hand(
    id: i64,
    name: Option<&str>,
    status: Option<&str>,
    score: Sql,
    active: Option<bool>,
    created: Option<&str>,
    tags: Option<&str>,
    options: Option<&str>,
) -> Row {
    Row {
        id,
        name: name.map(String::from),
        status: status.map(String::from),
        score,
        active,
        created: created.map(us),
        tags: tags.map(String::from),
        options: options.map(String::from),
    }
}

/// Rows 1..=12 are hand-made edge cases; 13..=50 are regular "gen" rows.
fn rows() -> Vec<Row> {
    use Sql::{Integer as I, Null, Real, Text};
    let mut rows = vec![
        hand(
            1,
            Some("alpha"),
            Some("running"),
            I(10),
            Some(true),
            Some("2024-01-01T00:00:00Z"),
            Some(r#"["nightly","smoke"]"#),
            Some(
                r#"{"begin_at":"cdrouter_nat_1","tags":["nightly"],"retries":3,"nested":{"flag":true}}"#,
            ),
        ),
        hand(
            2,
            Some("Alpha-2"),
            Some("finished"),
            I(9),
            Some(false),
            Some("2024-01-01T01:00:00+01:00"),
            Some(r#"["smoke"]"#),
            Some(
                r#"{"begin_at":"cdrouter_nat_2","tags":["weekly","nightly"],"retries":0,"nested":{"flag":false}}"#,
            ),
        ),
        hand(
            3,
            Some("beta"),
            Some("failed"),
            I(100),
            Some(true),
            Some("2024-06-15T12:30:00Z"),
            Some("[]"),
            Some(r#"{"tags":[]}"#),
        ),
        hand(4, None, None, Null, None, None, None, None),
        hand(
            5,
            Some("gamma, the third"),
            Some("running"),
            I(-5),
            Some(false),
            Some("2023-12-31T23:59:59.5Z"),
            Some(r#"["a,b","{x}"]"#),
            Some(r#"{"begin_at":"cdrouter_nat_1","tags":null}"#),
        ),
        hand(
            6,
            Some("BETA"),
            Some("stopped"),
            I(2),
            Some(true),
            Some("1970-01-01T00:00:00Z"),
            Some(r#"["nightly","nightly"]"#),
            Some(r#"{"begin_at":5,"retries":"3"}"#),
        ),
        hand(
            7,
            Some("delta"),
            Some("running"),
            I(11),
            Some(false),
            Some("1969-12-31T23:59:59Z"),
            Some(r#"["Nightly"]"#),
            Some(r#"{"tags":"nightly"}"#),
        ),
        hand(
            8,
            Some(""),
            Some("pending"),
            I(0),
            Some(true),
            Some("2025-03-01T00:00:00-05:00"),
            Some(r#"["x","y","z"]"#),
            Some(r#"{"tags":["x",1,null],"nested":{"flag":1}}"#),
        ),
        hand(
            9,
            Some("épsilon"),
            Some("finished"),
            I(1000),
            Some(false),
            Some("2030-01-01T00:00:00Z"),
            Some(r#"["smoke","nightly","weekly"]"#),
            Some("{}"),
        ),
        hand(
            10,
            Some("zeta"),
            Some("Running"),
            I(20),
            Some(true),
            Some("2024-01-01T00:00:00.000001Z"),
            Some(r#"["weekly"]"#),
            Some(r#"{"begin_at":"CDROUTER_NAT_1","tags":["nightly","smoke"]}"#),
        ),
        hand(
            11,
            Some("eta"),
            Some("running"),
            Text("n/a".into()),
            Some(true),
            Some("2024-01-01T00:00:00Z"),
            Some("not json"),
            Some(r#"{"tags":"[\"nightly\"]"}"#),
        ),
        hand(
            12,
            Some("theta"),
            Some("finished"),
            Real(7.5),
            Some(false),
            Some("2024-02-29T12:00:00+14:00"),
            Some(r#"{"a":"nightly"}"#),
            Some(r#"{"tags":{"k":"nightly"},"retries":2.5}"#),
        ),
    ];
    let base = us("2020-01-01T00:00:00Z");
    for id in 13..=LAST_ID {
        rows.push(Row {
            id,
            name: Some(format!("gen-{id:02}")),
            status: Some(if id % 2 == 0 { "queued" } else { "done" }.into()),
            score: I(-id),
            active: (id % 11 != 0).then_some(id % 3 == 0),
            created: (id % 10 != 0).then_some(base + id * 60_000_000),
            tags: match id % 4 {
                0 => None,
                1 => Some(r#"["x"]"#.into()),
                2 => Some(r#"["y"]"#.into()),
                _ => Some(r#"["x","y"]"#.into()),
            },
            options: (id % 7 != 0).then(|| {
                let tags = if id % 2 == 1 { r#"["x"]"# } else { "[]" };
                format!(r#"{{"begin_at":"gen","retries":{},"tags":{tags}}}"#, id % 5)
            }),
        });
    }
    rows
}

fn db() -> Connection {
    let conn = Connection::open_in_memory().expect("open");
    conn.execute_batch(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, status TEXT, score INTEGER, \
         active INTEGER, created INTEGER, tags TEXT, options TEXT)",
    )
    .expect("create");
    for r in rows() {
        conn.execute(
            "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rusqlite::params![
                r.id, r.name, r.status, r.score, r.active, r.created, r.tags, r.options
            ],
        )
        .expect("insert");
    }
    conn
}

fn scalar(v: ValueRef<'_>) -> Scalar {
    match v {
        ValueRef::Null | ValueRef::Blob(_) => Scalar::Null,
        ValueRef::Integer(n) => Scalar::Int(n),
        ValueRef::Real(r) => Scalar::Real(r),
        ValueRef::Text(t) => Scalar::Text(String::from_utf8_lossy(t).into_owned()),
    }
}

/// Runs `SELECT id, <fields> FROM t WHERE <where_sql>` and keeps rows that `residual` passes.
fn select(
    conn: &Connection,
    where_sql: &str,
    binds: &[Bind],
    residual: Option<&Residual>,
) -> Vec<i64> {
    let fields = residual.map(Residual::fields).unwrap_or_default();
    let mut cols = vec!["id"];
    cols.extend(fields.iter().map(|f| f.sql));
    let sql = format!(
        "SELECT {} FROM t WHERE {where_sql} ORDER BY id",
        cols.join(", ")
    );
    let binds = binds.iter().map(|b| match b {
        Bind::Int(n) => Sql::Integer(*n),
        Bind::Text(s) => Sql::Text(s.clone()),
    });
    let mut stmt = conn.prepare(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let rows = stmt
        .query_map(params_from_iter(binds), |row| {
            let id: i64 = row.get(0)?;
            let values = (1..=fields.len())
                .map(|i| row.get_ref(i).map(scalar))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((id, values))
        })
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.map(|r| r.unwrap_or_else(|e| panic!("{sql}: {e}")))
        .filter(|(_, values)| {
            residual.is_none_or(|res| {
                res.matches(values, &mut crate::query::ScanBudget::unlimited())
                    .expect("within budget")
            })
        })
        .map(|(id, _)| id)
        .collect()
}

fn via_plan(conn: &Connection, set: &FilterSet) -> Vec<i64> {
    let p = set.plan();
    select(conn, &p.where_sql, &p.binds, p.residual.as_ref())
}

fn via_rust(conn: &Connection, set: &FilterSet) -> Vec<i64> {
    select(conn, "1", &[], Some(&set.residual()))
}

fn set_of(raws: &[&str], combine: Combine) -> FilterSet {
    FilterSet {
        filters: raws.iter().map(|r| filter(r)).collect(),
        combine,
    }
}

// Expected-id helpers.
fn all() -> BTreeSet<i64> {
    (1..=LAST_ID).collect()
}
fn ids(list: &[i64]) -> BTreeSet<i64> {
    list.iter().copied().collect()
}
fn range(lo: i64, hi: i64) -> BTreeSet<i64> {
    (lo..=hi).collect()
}
fn generated(pred: impl Fn(i64) -> bool) -> BTreeSet<i64> {
    (13..=LAST_ID).filter(|id| pred(*id)).collect()
}
fn but(list: &[i64]) -> BTreeSet<i64> {
    &all() - &ids(list)
}
fn plus(a: &[i64], b: BTreeSet<i64>) -> BTreeSet<i64> {
    &ids(a) | &b
}

#[test]
fn hand_written_expectations() {
    use Combine::{Inter, Union};
    let active_gen = |id: i64| id % 11 != 0 && id % 3 == 0;
    let inactive_gen = |id: i64| id % 11 != 0 && id % 3 != 0;
    let cases: Vec<(&[&str], Combine, BTreeSet<i64>)> = vec![
        (&["name=alpha"], Inter, ids(&[1])),
        (&["name~^alpha"], Inter, ids(&[1])),
        // Anchored literal prefixes also narrow the SQL (see `prefix_hint`).
        (&["name~^gen-1"], Inter, range(13, 19)),
        (&["name~^gen-1?3"], Inter, &ids(&[13]) | &range(30, 39)),
        (&["name~^gen-1*"], Inter, range(13, 50)),
        (&["name~^gen-[12]0"], Inter, ids(&[20])),
        (&["name~*^alpha"], Inter, ids(&[1, 2])),
        (&["name!~^gen"], Inter, range(1, 12)),
        (&["name!~*^GEN-"], Inter, range(1, 12)),
        (&["status=running"], Inter, ids(&[1, 5, 7, 11])),
        (
            &["status!=running"],
            Inter,
            plus(&[2, 3, 4, 6, 8, 9, 10, 12], range(13, 50)),
        ),
        (&["status~*^running$"], Inter, ids(&[1, 5, 7, 10, 11])),
        (&["status>=r"], Inter, ids(&[1, 5, 6, 7, 11])),
        (&["status~^(done|queued)$"], Inter, range(13, 50)),
        (&["score>9"], Inter, ids(&[1, 3, 7, 9, 10, 11])),
        (&["score>7"], Inter, ids(&[1, 2, 3, 7, 9, 10, 11, 12])),
        (&["score<=7"], Inter, plus(&[5, 6, 8], range(13, 50))),
        (&["score<=-50"], Inter, ids(&[50])),
        (&["score=-5"], Inter, ids(&[5])),
        (&["score!=10"], Inter, but(&[1])),
        (&["id>=10"], Inter, range(10, 50)),
        (&["id<10"], Inter, range(1, 9)),
        (&["id=9"], Inter, ids(&[9])),
        (&["id!=9"], Inter, but(&[9])),
        (&["id>=5", "id<=7"], Inter, ids(&[5, 6, 7])),
        (&["id>=10", "id<20"], Union, all()),
        (
            &["active=true"],
            Inter,
            plus(&[1, 3, 6, 8, 10, 11], generated(active_gen)),
        ),
        (
            &["active!=true"],
            Inter,
            &all() - &plus(&[1, 3, 6, 8, 10, 11], generated(active_gen)),
        ),
        (
            &["active=false"],
            Inter,
            plus(&[2, 5, 7, 9, 12], generated(inactive_gen)),
        ),
        (
            &["created>=2024-01-01T00:00:00Z"],
            Inter,
            ids(&[1, 2, 3, 8, 9, 10, 11, 12]),
        ),
        (
            &["created=2024-01-01T02:00:00+02:00"],
            Inter,
            ids(&[1, 2, 11]),
        ),
        (&["created!=2024-01-01T00:00:00Z"], Inter, but(&[1, 2, 11])),
        (&["created<1970-01-01T00:00:00Z"], Inter, ids(&[7])),
        (
            &["created<2024-01-01T00:00:00Z"],
            Inter,
            plus(&[5, 6, 7], generated(|id| id % 10 != 0)),
        ),
        (
            &[
                "created>2020-01-01T00:30:00Z",
                "created<2020-01-01T00:40:00+00:00",
            ],
            Inter,
            range(31, 39),
        ),
        (&["tags@>{nightly}"], Inter, ids(&[1, 6, 9])),
        (
            &["tags<@{smoke,nightly}"],
            Inter,
            plus(&[1, 2, 3, 4, 6, 11, 12], generated(|id| id % 4 == 0)),
        ),
        (&["tags&&{weekly,z}"], Inter, ids(&[8, 9, 10])),
        (&["tags={smoke,nightly}"], Inter, ids(&[1])),
        (&["tags!={smoke,nightly}"], Inter, but(&[1])),
        (
            &["tags={}"],
            Inter,
            plus(&[3, 4, 11, 12], generated(|id| id % 4 == 0)),
        ),
        (
            &["tags<@{}"],
            Inter,
            plus(&[3, 4, 11, 12], generated(|id| id % 4 == 0)),
        ),
        (&["tags@>{}"], Inter, all()),
        (&["tags&&{}"], Inter, ids(&[])),
        (&["tags@>{\"a,b\",\"{x}\"}"], Inter, ids(&[5])),
        (
            &["tags@>{x}"],
            Inter,
            plus(&[8], generated(|id| id % 4 == 1 || id % 4 == 3)),
        ),
        (&["options.tags@>{nightly}"], Inter, ids(&[1, 2, 10, 11])),
        (
            &["options.tags={}"],
            Inter,
            plus(
                &[3, 4, 5, 6, 7, 9, 12],
                generated(|id| id % 2 == 0 || id % 7 == 0),
            ),
        ),
        (&["options.tags<@{x}"], Inter, but(&[1, 2, 8, 10, 11])),
        (
            &["options.tags&&{x,weekly}"],
            Inter,
            plus(&[2, 8], generated(|id| id % 2 == 1 && id % 7 != 0)),
        ),
        (&["options.begin_at=cdrouter_nat_1"], Inter, ids(&[1, 5])),
        (
            &["options.begin_at~*^cdrouter_nat_1$"],
            Inter,
            ids(&[1, 5, 10]),
        ),
        (
            &["options.retries>=3"],
            Inter,
            plus(&[1, 6], generated(|id| id % 7 != 0 && id % 5 >= 3)),
        ),
        (&["options.nested.flag=true"], Inter, ids(&[1, 8])),
        (&["options.nested.flag!=true"], Inter, but(&[1, 8])),
        (&["status=failed", "name=zeta"], Union, ids(&[3, 10])),
        (&["status=failed", "name~^ze"], Union, ids(&[3, 10])),
        (&["status=running", "name~^[ad]"], Inter, ids(&[1, 7])),
        (&["name<beta"], Inter, ids(&[1, 2, 6, 8])),
        (&["name="], Inter, ids(&[8])),
        (&["name~"], Inter, but(&[4])),
        (&["name~^gamma, the"], Inter, ids(&[5])),
        (&["name~*ÉPSILON"], Inter, ids(&[9])),
        (
            &["tags@>{nightly}", "options.tags@>{nightly}"],
            Union,
            ids(&[1, 2, 6, 9, 10, 11]),
        ),
        (
            &["tags&&{smoke}", "options.begin_at!=cdrouter_nat_1"],
            Inter,
            ids(&[2, 9]),
        ),
        (&["name!~.", "status=stopped"], Union, ids(&[4, 6, 8])),
        (&[], Union, all()),
        (&[], Inter, all()),
    ];
    assert!(cases.len() >= 60, "{}", cases.len());
    let conn = db();
    for (raws, combine, want) in cases {
        let set = set_of(raws, combine);
        let want: Vec<i64> = want.into_iter().collect();
        assert_eq!(via_plan(&conn, &set), want, "plan {raws:?} {combine:?}");
        assert_eq!(via_rust(&conn, &set), want, "rust {raws:?} {combine:?}");
    }
}

/// Every operator of every field with a spread of values: SQL and Rust must agree, and
/// non-regex filters must run entirely in SQL.
#[test]
fn sql_and_rust_agree_on_every_operator() {
    let values: &[(FieldType, &[&str])] = &[
        (FieldType::Id, &["0", "1", "9", "10", "12", "50", "51"]),
        (
            FieldType::Int,
            &["-50", "-5", "0", "2", "3", "7", "10", "1000"],
        ),
        (FieldType::Bool, &["true", "false"]),
        (
            FieldType::Time,
            &[
                "1970-01-01T00:00:00Z",
                "2024-01-01T00:00:00Z",
                "2024-01-01T02:00:00+02:00",
                "2020-01-01T00:20:00Z",
            ],
        ),
        (
            FieldType::Str,
            &[
                "",
                "alpha",
                "beta",
                "running",
                "Running",
                "cdrouter_nat_1",
                "gen",
                "m",
                "5",
                "3",
                "^a",
                "(?i)BETA",
                "[0-9]",
                "^$",
            ],
        ),
        (
            FieldType::StrArray,
            &[
                "{}",
                "{nightly}",
                "{smoke,nightly}",
                "{x}",
                "{x,y}",
                "{weekly,z}",
                "{\"a,b\"}",
                "{Nightly,x,y,z}",
            ],
        ),
    ];
    let ops = [
        "=", "!=", "<", "<=", ">", ">=", "~", "!~", "~*", "!~*", "@>", "<@", "&&",
    ];
    let conn = db();
    let mut checked = 0;
    let mut singles = Vec::new();
    for f in SCHEMA.fields {
        let samples = values
            .iter()
            .find(|(ty, _)| *ty == f.ty)
            .map(|(_, v)| *v)
            .unwrap_or_default();
        for op in ops {
            for value in samples {
                let raw = format!("{}{op}{value}", f.name);
                let Ok(parsed) = parse_filter(&raw, &SCHEMA) else {
                    continue;
                };
                let set = FilterSet {
                    filters: vec![parsed],
                    combine: Combine::Inter,
                };
                let p = set.plan();
                assert_eq!(p.residual.is_some(), set.filters[0].op.is_regex(), "{raw}");
                assert_eq!(via_plan(&conn, &set), via_rust(&conn, &set), "{raw}");
                singles.push(raw);
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "{checked}");
    // Pairs, both ways of combining, with and without regex.
    for (i, a) in singles.iter().enumerate().step_by(7) {
        for b in singles.iter().skip(i % 5).step_by(41) {
            for combine in [Combine::Inter, Combine::Union] {
                let set = set_of(&[a, b], combine);
                assert_eq!(
                    via_plan(&conn, &set),
                    via_rust(&conn, &set),
                    "{a} {b} {combine:?}"
                );
            }
        }
    }
}

#[test]
fn sort_and_paging_run_in_sqlite() {
    let conn = db();
    let q = ListQuery::parse(
        &params(&[
            ("filter", "id<=12"),
            ("sort", "-score"),
            ("page", "2"),
            ("limit", "3"),
        ]),
        &SCHEMA,
    )
    .expect("parse");
    let p = q.plan();
    let sql = format!(
        "SELECT id FROM t WHERE {} ORDER BY {} LIMIT {} OFFSET {}",
        p.where_sql,
        q.order_by_sql("id ASC"),
        q.page.sql_limit(),
        q.page.offset()
    );
    let binds = p.binds.iter().map(|b| match b {
        Bind::Int(n) => Sql::Integer(*n),
        Bind::Text(s) => Sql::Text(s.clone()),
    });
    let mut stmt = conn.prepare(&sql).expect("prepare");
    let got: Vec<i64> = stmt
        .query_map(params_from_iter(binds), |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    // Descending: text "n/a" (11), 1000 (9), 100 (3), 20 (10), 11 (7), 10 (1), 9 (2), ...
    assert_eq!(got, [10, 7, 1]);
    assert_eq!(q.page.links(12).next, Some(3));
}

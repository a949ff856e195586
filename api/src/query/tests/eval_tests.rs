//! Rust-side evaluation: every operator on every field type, NULLs, mixed types, residuals.

use super::*;
use crate::query::ScanBudget;

fn text(s: &str) -> Scalar {
    Scalar::Text(s.to_string())
}

#[test]
fn every_operator_on_every_type() {
    use Scalar::{Int, Null, Real};
    let t = us("2024-01-01T00:00:00Z");
    let cases: Vec<(&str, Scalar, bool)> = vec![
        // Ids and integers compare as numbers: 9 < 10.
        ("id>=10", Int(9), false),
        ("id>=10", Int(10), true),
        ("id<10", Int(9), true),
        ("id>9", Int(10), true),
        ("id=10", Int(10), true),
        ("id!=10", Int(10), false),
        ("id!=10", Int(11), true),
        ("id<=10", Int(10), true),
        ("id<=10", Int(11), false),
        ("score=5", Int(5), true),
        ("score=5", Int(6), false),
        ("score=5", Null, false),
        ("score!=5", Null, true),
        ("score!=5", Int(5), false),
        ("score<5", Null, false),
        ("score>=5", Null, false),
        ("score<5", Int(-7), true),
        ("score>-5", Int(-4), true),
        ("score<=5", Int(5), true),
        ("score>5", Int(5), false),
        ("score<5", Real(4.5), true),
        ("score=5", Real(5.0), true),
        ("score>5", Real(5.000001), true),
        ("score<-5", Real(-5.5), true),
        ("score<5", Real(1e300), false),
        ("score>5", Real(-1e300), false),
        // SQLite order: numbers before text, so text never equals a number and sorts after.
        ("score=5", text("5"), false),
        ("score>5", text("a"), true),
        ("score<5", text("1"), false),
        ("score!=5", text("5"), true),
        // Booleans are 0/1.
        ("active=true", Int(1), true),
        ("active=true", Int(0), false),
        ("active=true", Null, false),
        ("active=false", Int(0), true),
        ("active!=true", Null, true),
        ("active!=true", Int(0), true),
        ("active!=false", Int(1), true),
        ("options.nested.flag=true", Int(1), true),
        // Times as instants, whatever offset the filter was written in.
        ("created=2024-01-01T02:00:00+02:00", Int(t), true),
        ("created>2024-01-01T02:00:00+02:00", Int(t + 1), true),
        ("created<2024-01-01T00:00:00Z", Int(t - 1), true),
        ("created<2024-01-01T00:00:00Z", Int(t), false),
        ("created<=2023-12-31T19:00:00-05:00", Int(t), true),
        ("created>=2024-01-01T00:00:00Z", Null, false),
        ("created!=2024-01-01T00:00:00Z", Null, true),
        ("created<1970-01-01T00:00:00Z", Int(-1), true),
        // Strings by bytes: upper case before lower case.
        ("name=alpha", text("alpha"), true),
        ("name=alpha", text("Alpha"), false),
        ("name!=alpha", text("Alpha"), true),
        ("name!=alpha", Null, true),
        ("name=alpha", Null, false),
        ("name<beta", text("alpha"), true),
        ("name<beta", text("Beta"), true),
        ("name<beta", text("beta"), false),
        ("name<=beta", text("beta"), true),
        ("name>beta", text("betas"), true),
        ("name>=beta", text("b"), false),
        ("name<beta", Null, false),
        ("name=", text(""), true),
        ("name=5", Int(5), false),
        ("name<5", Int(5), true),
        // Regexes.
        ("name~^a", text("abc"), true),
        ("name~^a", text("Abc"), false),
        ("name~^a", Null, false),
        ("name~", text(""), true),
        ("name~", Null, false),
        ("name!~^a", text("abc"), false),
        ("name!~^a", text("bcd"), true),
        ("name!~^a", Null, true),
        ("name~*^A", text("abc"), true),
        ("name~*ÉPSILON", text("épsilon"), true),
        ("name!~*^A", text("abc"), false),
        ("name!~*^A", Null, true),
        ("name~^1", Int(12), true),
        ("name~\\d", text("a1"), true),
        ("name~^(done|queued)$", text("queued"), true),
        // Arrays: NULL, invalid JSON and non-arrays are [].
        ("tags@>{a,b}", text(r#"["a","b","c"]"#), true),
        ("tags@>{a,b}", text(r#"["b","a"]"#), true),
        ("tags@>{a,b}", text(r#"["a"]"#), false),
        ("tags@>{a}", Null, false),
        ("tags@>{}", Null, true),
        ("tags@>{}", text("[]"), true),
        ("tags@>{a}", text(r#"["A"]"#), false),
        ("tags@>{\"a,b\"}", text(r#"["a,b"]"#), true),
        ("tags@>{1}", text("[1]"), false),
        ("tags<@{a,b}", Null, true),
        ("tags<@{a,b}", text("[]"), true),
        ("tags<@{a,b}", text(r#"["a","a"]"#), true),
        ("tags<@{a,b}", text(r#"["a","c"]"#), false),
        ("tags<@{a,b}", text(r#"["a",1]"#), false),
        ("tags<@{a,b}", text(r#"["a",null]"#), false),
        ("tags<@{}", text(r#"["a"]"#), false),
        ("tags<@{}", Null, true),
        ("tags&&{a}", Null, false),
        ("tags&&{a}", text(r#"["b","a"]"#), true),
        ("tags&&{a,z}", text(r#"["b","c"]"#), false),
        ("tags&&{}", text(r#"["a"]"#), false),
        ("tags={a,b}", text(r#"["b","a","a"]"#), true),
        ("tags={a,b}", text(r#"["a"]"#), false),
        ("tags={a,b}", text(r#"["a","b","c"]"#), false),
        ("tags={}", Null, true),
        ("tags={}", text("[]"), true),
        ("tags={}", text(r#"["a"]"#), false),
        ("tags!={a,b}", text(r#"["a","b"]"#), false),
        ("tags!={a,b}", text(r#"["a"]"#), true),
        ("tags!={}", Null, false),
        ("tags@>{a}", text("not json"), false),
        ("tags<@{}", text("not json"), true),
        ("tags@>{a}", text(r#"{"k":"a"}"#), false),
        ("tags@>{a}", text(r#""a""#), false),
        ("tags@>{a}", Int(1), false),
        (
            "options.tags@>{nightly}",
            text(r#"["nightly","smoke"]"#),
            true,
        ),
    ];
    for (raw, v, want) in cases {
        assert_eq!(
            filter(raw)
                .matches(&v, &mut ScanBudget::unlimited())
                .expect("within budget"),
            want,
            "{raw} on {v:?}"
        );
    }
}

#[test]
fn residual_fields_are_distinct_and_ordered() {
    let r = Residual::new(
        vec![filter("status~a"), filter("name~b"), filter("status!~c")],
        Combine::Inter,
    );
    let names: Vec<&str> = r.fields().iter().map(|f| f.name).collect();
    assert_eq!(names, ["status", "name"]);
    assert_eq!(r.filters().len(), 3);
    assert!(r
        .matches(&[text("ab"), text("b")], &mut ScanBudget::unlimited())
        .expect("within budget"));
    assert!(!r
        .matches(&[text("abc"), text("b")], &mut ScanBudget::unlimited())
        .expect("within budget"));
    assert!(!r
        .matches(&[text("ab"), Scalar::Null], &mut ScanBudget::unlimited())
        .expect("within budget"));
}

#[test]
fn residual_combines() {
    let filters = vec![filter("name~^a"), filter("score>5")];
    let inter = Residual::new(filters.clone(), Combine::Inter);
    let union = Residual::new(filters, Combine::Union);
    let rows: [([Scalar; 2], bool, bool); 4] = [
        ([text("ab"), Scalar::Int(6)], true, true),
        ([text("ab"), Scalar::Int(5)], false, true),
        ([text("b"), Scalar::Int(6)], false, true),
        ([text("b"), Scalar::Null], false, false),
    ];
    for (row, i, u) in rows {
        assert_eq!(
            inter
                .matches(&row, &mut ScanBudget::unlimited())
                .expect("within budget"),
            i,
            "inter {row:?}"
        );
        assert_eq!(
            union
                .matches(&row, &mut ScanBudget::unlimited())
                .expect("within budget"),
            u,
            "union {row:?}"
        );
    }
    // Missing values read as NULL; no filters pass everything.
    assert!(!inter
        .matches(&[], &mut ScanBudget::unlimited())
        .expect("within budget"));
    assert!(Residual::new(vec![filter("name!~x")], Combine::Inter)
        .matches(&[], &mut ScanBudget::unlimited())
        .expect("within budget"));
    assert!(Residual::new(Vec::new(), Combine::Union)
        .matches(&[], &mut ScanBudget::unlimited())
        .expect("within budget"));
}

#[test]
fn scalar_conversions() {
    assert_eq!(Scalar::from(3), Scalar::Int(3));
    assert_eq!(Scalar::from("a"), text("a"));
    assert_eq!(Scalar::from(String::from("a")), text("a"));
    assert_eq!(Scalar::from(None::<i64>), Scalar::Null);
    assert_eq!(Scalar::from(Some("x")), text("x"));
}

#[test]
fn costly_regexes_are_refused_not_crawled() {
    // `1[01]{20}x` on random 0/1 text is the textbook exploding automaton (a state per
    // subset of the last 20 bits): the lazy DFA gives up instead of crawling, and the request
    // gets a 400.
    let f = filter("name~1[01]{20}x");
    let mut x: u32 = 12345;
    let long: String = (0..(1 << 20))
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            if (x >> 16).is_multiple_of(2) {
                '0'
            } else {
                '1'
            }
        })
        .collect();
    let err = f
        .matches(&text(&long), &mut ScanBudget::unlimited())
        .expect_err("too costly");
    assert!(
        err.to_string()
            .starts_with("filter too costly: the regular expression"),
        "{err}"
    );
    // The same pattern on a short text still answers.
    let short = format!("{}x", "1".repeat(21));
    assert!(f
        .matches(&text(&short), &mut ScanBudget::unlimited())
        .expect("cheap"));
    // Bytes read are counted across rows.
    let mut budget = ScanBudget::request();
    let row = "n".repeat(1 << 20);
    let simple = filter("name~nomatch");
    let mut refused = false;
    for _ in 0..16 {
        if let Err(e) = simple.matches(&text(&row), &mut budget) {
            assert!(e.to_string().contains("at most 8 MiB"), "{e}");
            refused = true;
            break;
        }
    }
    assert!(refused, "16 MiB read within an 8 MiB budget");
    assert!(ScanBudget::check_rows(20_000).is_ok());
    assert!(ScanBudget::check_rows(20_001).is_err());
}

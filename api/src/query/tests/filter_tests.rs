//! `parse_filter`: syntax, operators per type, typed values and every error message.

use super::*;

fn arr(items: &[&str]) -> Value {
    Value::Array(items.iter().map(|s| s.to_string()).collect())
}

#[test]
fn parses_typed_values() {
    let t2024 = us("2024-01-01T00:00:00Z");
    let cases: Vec<(&str, &str, Op, Value)> = vec![
        ("id=10", "id", Op::Eq, Value::Int(10)),
        ("id>=10", "id", Op::Ge, Value::Int(10)),
        ("id!=007", "id", Op::Ne, Value::Int(7)),
        ("score<-5", "score", Op::Lt, Value::Int(-5)),
        ("score<=+7", "score", Op::Le, Value::Int(7)),
        (
            "score>9223372036854775807",
            "score",
            Op::Gt,
            Value::Int(i64::MAX),
        ),
        ("active=TRUE", "active", Op::Eq, Value::Bool(true)),
        ("active!=false", "active", Op::Ne, Value::Bool(false)),
        ("active=False", "active", Op::Eq, Value::Bool(false)),
        (
            "created>2024-01-01T00:00:00Z",
            "created",
            Op::Gt,
            Value::Time(t2024),
        ),
        (
            "created=2024-01-01T02:00:00+02:00",
            "created",
            Op::Eq,
            Value::Time(t2024),
        ),
        (
            "created=2023-12-31T19:00:00-05:00",
            "created",
            Op::Eq,
            Value::Time(t2024),
        ),
        // An unencoded `+` decoded as a space.
        (
            "created=2024-01-01T02:00:00 02:00",
            "created",
            Op::Eq,
            Value::Time(t2024),
        ),
        (
            "created<=2024-01-01t00:00:00z",
            "created",
            Op::Le,
            Value::Time(t2024),
        ),
        (
            "created<1969-12-31T23:59:59.999999999Z",
            "created",
            Op::Lt,
            Value::Time(-1),
        ),
        (
            "created>=2024-01-01T00:00:00.5Z",
            "created",
            Op::Ge,
            Value::Time(t2024 + 500_000),
        ),
        ("name=", "name", Op::Eq, Value::Text(String::new())),
        ("name=a=b", "name", Op::Eq, Value::Text("a=b".into())),
        ("name==x", "name", Op::Eq, Value::Text("=x".into())),
        ("name!=~", "name", Op::Ne, Value::Text("~".into())),
        (
            "name= spaced ",
            "name",
            Op::Eq,
            Value::Text(" spaced ".into()),
        ),
        ("status>=m", "status", Op::Ge, Value::Text("m".into())),
        ("status<m", "status", Op::Lt, Value::Text("m".into())),
        ("status<=m", "status", Op::Le, Value::Text("m".into())),
        ("status>m", "status", Op::Gt, Value::Text("m".into())),
        ("tags@>{a,b}", "tags", Op::Contains, arr(&["a", "b"])),
        ("tags<@{}", "tags", Op::ContainedBy, arr(&[])),
        ("tags<@{ }", "tags", Op::ContainedBy, arr(&[])),
        (
            "tags&&{ a , \"b,c\" }",
            "tags",
            Op::Overlaps,
            arr(&["a", "b,c"]),
        ),
        (
            "tags={\"{x}\",\"q\\\"uote\",\"back\\\\\"}",
            "tags",
            Op::Eq,
            arr(&["{x}", "q\"uote", "back\\"]),
        ),
        ("tags!={a}", "tags", Op::Ne, arr(&["a"])),
        ("tags@>{\"\"}", "tags", Op::Contains, arr(&[""])),
        ("tags@>{a b,c}", "tags", Op::Contains, arr(&["a b", "c"])),
        ("tags@>{é,日本}", "tags", Op::Contains, arr(&["é", "日本"])),
        (
            "options.tags@>{nightly}",
            "options.tags",
            Op::Contains,
            arr(&["nightly"]),
        ),
        (
            "options.begin_at=cdrouter_nat_1",
            "options.begin_at",
            Op::Eq,
            Value::Text("cdrouter_nat_1".into()),
        ),
        (
            "options.retries>2",
            "options.retries",
            Op::Gt,
            Value::Int(2),
        ),
        (
            "options.nested.flag=false",
            "options.nested.flag",
            Op::Eq,
            Value::Bool(false),
        ),
    ];
    for (raw, name, op, value) in cases {
        let f = filter(raw);
        assert_eq!(
            (f.field.name, f.op, &f.value, f.raw.as_str()),
            (name, op, &value, raw),
            "{raw}"
        );
    }
}

#[test]
fn regex_operators_take_the_longest_spelling() {
    let cases = [
        ("name~^a", Op::Match, "^a"),
        ("name~~", Op::Match, "~"),
        ("name~*x", Op::IMatch, "x"),
        ("name!~x", Op::NotMatch, "x"),
        ("name!~*x", Op::NotIMatch, "x"),
        ("name!~*\\*", Op::NotIMatch, "\\*"),
        ("name~", Op::Match, ""),
    ];
    for (raw, op, pattern) in cases {
        let f = filter(raw);
        assert_eq!(f.op, op, "{raw}");
        match &f.value {
            Value::Regex(re) => assert_eq!(re.as_str(), pattern, "{raw}"),
            other => panic!("{raw}: {other:?}"),
        }
    }
    // `~*` compiles case-insensitively, `~` does not.
    let Value::Regex(ci) = filter("name~*^abc$").value else {
        panic!()
    };
    assert!(ci
        .is_match("ABC", &mut crate::query::ScanBudget::unlimited())
        .expect("cheap"));
    let Value::Regex(cs) = filter("name~^abc$").value else {
        panic!()
    };
    assert!(!cs
        .is_match("ABC", &mut crate::query::ScanBudget::unlimited())
        .expect("cheap"));
}

#[test]
fn op_spellings_round_trip() {
    for op in [
        Op::Eq,
        Op::Ne,
        Op::Lt,
        Op::Le,
        Op::Gt,
        Op::Ge,
        Op::Match,
        Op::NotMatch,
        Op::IMatch,
        Op::NotIMatch,
        Op::Contains,
        Op::ContainedBy,
        Op::Overlaps,
    ] {
        assert_eq!(Op::prefix_of(op.as_str()), Some(op));
        assert_eq!(op.to_string(), op.as_str());
    }
    assert_eq!(Op::prefix_of("<@{a}"), Some(Op::ContainedBy));
    assert_eq!(Op::prefix_of("<=5"), Some(Op::Le));
    assert_eq!(Op::prefix_of("&5"), None);
    assert_eq!(Op::prefix_of("@5"), None);
    assert_eq!(Op::prefix_of("!5"), None);
}

#[test]
fn operators_allowed_per_type() {
    let all = [
        "=", "!=", "<", "<=", ">", ">=", "~", "!~", "~*", "!~*", "@>", "<@", "&&",
    ];
    let allowed: [(&str, &str, &[&str]); 7] = [
        ("id", "1", &["=", "!=", "<", "<=", ">", ">="]),
        ("score", "1", &["=", "!=", "<", "<=", ">", ">="]),
        (
            "created",
            "2024-01-01T00:00:00Z",
            &["=", "!=", "<", "<=", ">", ">="],
        ),
        ("active", "true", &["=", "!="]),
        (
            "name",
            "x",
            &["=", "!=", "<", "<=", ">", ">=", "~", "!~", "~*", "!~*"],
        ),
        ("tags", "{x}", &["@>", "<@", "&&", "=", "!="]),
        ("options.tags", "{x}", &["@>", "<@", "&&", "=", "!="]),
    ];
    for (name, value, ok) in allowed {
        for op in all {
            let raw = format!("{name}{op}{value}");
            let got = parse_filter(&raw, &SCHEMA);
            if ok.contains(&op) {
                assert!(got.is_ok(), "{raw}: {got:?}");
            } else {
                let ty = field(name).ty.name();
                let want =
                    format!("invalid filter \"{raw}\": operator \"{op}\" does not apply to {ty} field \"{name}\"");
                assert_eq!(got.map_err(|e| e.to_string()).err(), Some(want), "{raw}");
            }
        }
    }
}

#[test]
fn error_messages() {
    let cases = [
        ("foo~~", r#"invalid filter "foo~~": unknown field "foo""#),
        (
            "options.nope=1",
            r#"invalid filter "options.nope=1": unknown field "options.nope""#,
        ),
        ("Name=x", r#"invalid filter "Name=x": unknown field "Name""#),
        (
            "id>abc",
            r#"invalid filter "id>abc": "abc" is not a number"#,
        ),
        ("id=", r#"invalid filter "id=": "" is not a number"#),
        (
            "id=1.5",
            r#"invalid filter "id=1.5": "1.5" is not a number"#,
        ),
        ("id= 1", r#"invalid filter "id= 1": " 1" is not a number"#),
        ("id=-1", r#"invalid filter "id=-1": "-1" is not a valid id"#),
        ("id=+1", r#"invalid filter "id=+1": "+1" is not a valid id"#),
        (
            "id=99999999999999999999",
            r#"invalid filter "id=99999999999999999999": "99999999999999999999" is out of range"#,
        ),
        (
            "score=1e3",
            r#"invalid filter "score=1e3": "1e3" is not a number"#,
        ),
        (
            "score=-9223372036854775809",
            r#"invalid filter "score=-9223372036854775809": "-9223372036854775809" is out of range"#,
        ),
        (
            "options.retries>x",
            r#"invalid filter "options.retries>x": "x" is not a number"#,
        ),
        (
            "status@>{a}",
            r#"invalid filter "status@>{a}": operator "@>" does not apply to string field "status""#,
        ),
        (
            "active>true",
            r#"invalid filter "active>true": operator ">" does not apply to boolean field "active""#,
        ),
        (
            "id~1",
            r#"invalid filter "id~1": operator "~" does not apply to id field "id""#,
        ),
        (
            "score&&{1}",
            r#"invalid filter "score&&{1}": operator "&&" does not apply to integer field "score""#,
        ),
        (
            "created~2024",
            r#"invalid filter "created~2024": operator "~" does not apply to time field "created""#,
        ),
        (
            "tags~x",
            r#"invalid filter "tags~x": operator "~" does not apply to array field "tags""#,
        ),
        (
            "tags<x",
            r#"invalid filter "tags<x": operator "<" does not apply to array field "tags""#,
        ),
        (
            "name~(",
            r#"invalid filter "name~(": bad regex: unclosed group"#,
        ),
        (
            "name~*[",
            r#"invalid filter "name~*[": bad regex: unclosed character class"#,
        ),
        (
            "name!~a{2,1}",
            r#"invalid filter "name!~a{2,1}": bad regex: invalid repetition count range, the start must be <= the end"#,
        ),
        ("nonsense", r#"invalid filter "nonsense": missing operator"#),
        ("name x", r#"invalid filter "name x": missing operator"#),
        ("na-me=x", r#"invalid filter "na-me=x": missing operator"#),
        ("name", r#"invalid filter "name": missing operator"#),
        ("", r#"invalid filter "": missing field"#),
        ("=x", r#"invalid filter "=x": missing field"#),
        (" name=x", r#"invalid filter " name=x": missing field"#),
        (
            "active=yes",
            r#"invalid filter "active=yes": "yes" is not a boolean"#,
        ),
        (
            "active=1",
            r#"invalid filter "active=1": "1" is not a boolean"#,
        ),
        (
            "active=",
            r#"invalid filter "active=": "" is not a boolean"#,
        ),
        (
            "created>2024-01-01",
            r#"invalid filter "created>2024-01-01": "2024-01-01" is not an rfc 3339 time"#,
        ),
        (
            "created>yesterday",
            r#"invalid filter "created>yesterday": "yesterday" is not an rfc 3339 time"#,
        ),
        (
            "created>2024-01-01T00:00:00",
            r#"invalid filter "created>2024-01-01T00:00:00": "2024-01-01T00:00:00" is not an rfc 3339 time"#,
        ),
        (
            "created>1700000000",
            r#"invalid filter "created>1700000000": "1700000000" is not an rfc 3339 time"#,
        ),
        (
            "tags@>a",
            r#"invalid filter "tags@>a": "a" is not an array: must be written {a,b,...}"#,
        ),
        (
            "tags@>",
            r#"invalid filter "tags@>": "" is not an array: must be written {a,b,...}"#,
        ),
        (
            "tags@>{a",
            r#"invalid filter "tags@>{a": "{a" is not an array: must be written {a,b,...}"#,
        ),
        (
            "tags@>[a]",
            r#"invalid filter "tags@>[a]": "[a]" is not an array: must be written {a,b,...}"#,
        ),
        (
            "tags@>{a,}",
            r#"invalid filter "tags@>{a,}": "{a,}" is not an array: empty element"#,
        ),
        (
            "tags@>{,a}",
            r#"invalid filter "tags@>{,a}": "{,a}" is not an array: empty element"#,
        ),
        (
            "tags@>{a,,b}",
            r#"invalid filter "tags@>{a,,b}": "{a,,b}" is not an array: empty element"#,
        ),
        (
            "tags@>{\"a}",
            r#"invalid filter "tags@>{"a}": "{"a}" is not an array: unterminated quote"#,
        ),
        (
            "tags@>{\"a\\\"}",
            r#"invalid filter "tags@>{"a\"}": "{"a\"}" is not an array: unterminated quote"#,
        ),
        (
            "tags@>{\"a\"b}",
            r#"invalid filter "tags@>{"a"b}": "{"a"b}" is not an array: expected a comma after a quoted element"#,
        ),
        (
            "tags@>{a\"b}",
            r#"invalid filter "tags@>{a"b}": "{a"b}" is not an array: quote an element that holds a quote or brace"#,
        ),
        (
            "tags@>{{a}}",
            r#"invalid filter "tags@>{{a}}": "{{a}}" is not an array: quote an element that holds a quote or brace"#,
        ),
        (
            "options.tags&&x",
            r#"invalid filter "options.tags&&x": "x" is not an array: must be written {a,b,...}"#,
        ),
    ];
    for (raw, want) in cases {
        assert_eq!(filter_err(raw), want, "{raw}");
    }
}

#[test]
fn errors_are_structured() {
    let err = parse_filter("foo=1", &SCHEMA).expect_err("unknown");
    assert_eq!(
        err,
        QueryError::Filter {
            raw: "foo=1".into(),
            reason: FilterError::UnknownField("foo".into())
        }
    );
}

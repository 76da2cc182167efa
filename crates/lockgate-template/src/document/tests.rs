use super::*;
use crate::path;
use serde_json::json;

fn p(text: &str) -> Value {
    parse("t.yaml", text).expect("parses").into_json()
}

fn perr(text: &str) -> ParseError {
    parse("t.yaml", text).expect_err("fails")
}

#[test]
fn short_forms_become_long_forms() {
    let v = p(
        "A: !Ref X\nB: !GetAtt Fn.Arn\nC: !GetAtt [Fn, Arn]\nD: !Sub '${X}'\nE: !Condition C\nF: !If [C, 1, !Ref AWS::NoValue]\nG: !GetAtt A.B.C\n",
    );
    assert_eq!(
        v,
        json!({
            "A": {"Ref": "X"},
            "B": {"Fn::GetAtt": ["Fn", "Arn"]},
            "C": {"Fn::GetAtt": ["Fn", "Arn"]},
            "D": {"Fn::Sub": "${X}"},
            "E": {"Condition": "C"},
            "F": {"Fn::If": ["C", 1, {"Ref": "AWS::NoValue"}]},
            "G": {"Fn::GetAtt": ["A", "B.C"]},
        })
    );
}

#[test]
fn tagged_scalars_stay_strings() {
    assert_eq!(
        p("A: !Ref 123\nB: !Base64 true\n"),
        json!({"A": {"Ref": "123"}, "B": {"Fn::Base64": "true"}})
    );
}

#[test]
fn keys_are_strings_and_order_is_kept() {
    let v = p("z: 1\n200: ok\ntrue: 2\na: 3\n");
    assert_eq!(
        v.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["z", "200", "true", "a"]
    );
}

#[test]
fn quoted_strings_stay_strings() {
    assert_eq!(
        p("a: '1'\nb: \"true\"\nc: |\n  12\n"),
        json!({"a": "1", "b": "true", "c": "12\n"})
    );
}

#[test]
fn merge_keys_and_aliases() {
    let v = p("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n");
    assert_eq!(v, json!({"base": {"x": 1, "y": 2}, "d": {"x": 1, "y": 3}}));
}

#[test]
fn duplicate_keys_keep_the_later_value_with_a_warning() {
    let doc = parse("t.yaml", "a: 1\nb: 2\na: 3\n").expect("parses");
    assert_eq!(doc.value(), &json!({"a": 3, "b": 2}));
    let w = &doc.warnings()[0];
    assert_eq!(w.code, "duplicate-key");
    let span = w.span.expect("placed");
    assert_eq!((span.line, span.column), (3, 1));
    assert_eq!(w.related[0].0.line, 1);
    // The value's span is the later one's.
    assert_eq!(doc.span_of(&path!["a"]).map(|s| s.line), Some(3));
    // JSON too, as Python's json module reads it.
    let doc = parse("t.json", "{\"a\": 1, \"a\": 2}").expect("parses");
    assert_eq!(doc.value(), &json!({"a": 2}));
    assert_eq!(doc.warnings().len(), 1);
}

#[test]
fn under_indented_flow_continuations_parse_with_original_positions() {
    let text = "Resources:\n  Fn:\n    Properties:\n      Policies: [\n    A,\n  B ]\n      Env: {\nK: !Ref X }\n";
    let doc = parse("t.yaml", text).expect("parses as PyYAML does");
    assert_eq!(
        doc.value(),
        &json!({"Resources": {"Fn": {"Properties": {"Policies": ["A", "B"], "Env": {"K": {"Ref": "X"}}}}}})
    );
    let b = doc
        .span_of(&path!["Resources", "Fn", "Properties", "Policies", 1])
        .expect("B");
    assert_eq!((b.line, b.column), (6, 3));
    assert_eq!(&text[b.offset..b.offset + b.len], "B");
    let k = doc
        .key_span_of(&path!["Resources", "Fn", "Properties", "Env", "K"])
        .expect("K");
    assert_eq!((k.line, k.column), (8, 1));
}

#[test]
fn a_real_syntax_error_still_fails_with_its_place() {
    let e = perr("a:\n  b: [1, 2\nc: 3\n");
    assert!(e.line() >= 2, "{e}");
    let e = perr("a:\n  - b\n c: 1\n");
    assert_eq!(e.line(), 3, "{e}");
}

#[test]
fn bytes_that_are_not_utf8_are_a_diagnostic_with_the_offset() {
    let e = parse_bytes("t.yaml", b"Resources:\n  A: caf\xE9\n").expect_err("not UTF-8");
    assert!(
        e.message.contains("byte 0xE9 at byte offset 19"),
        "{}",
        e.message
    );
    assert_eq!((e.line(), e.column()), (2, 9));
    // UTF-16 with a byte-order mark is read, as PyYAML reads it.
    let mut utf16 = vec![0xFF, 0xFE];
    for u in "a: 1\n".encode_utf16() {
        utf16.extend(u.to_le_bytes());
    }
    assert_eq!(
        parse_bytes("t.yaml", &utf16).expect("utf-16").value(),
        &json!({"a": 1})
    );
}

#[test]
fn syntax_errors_have_positions() {
    let e = perr("a: [1, 2\nb: 3\n");
    assert!(e.line() >= 1, "{e}");
    let e = perr("a:\n\t- b\n");
    assert_eq!(e.line(), 2, "{e}");
}

#[test]
fn multiple_documents_are_rejected() {
    let e = perr("a: 1\n---\nb: 2\n");
    assert!(e.message.contains("single document"), "{e}");
}

#[test]
fn unhashable_keys_are_rejected() {
    let e = perr("? [a]\n: 1\n");
    assert!(e.message.contains("unhashable"), "{e}");
}

#[test]
fn unknown_core_tags_are_rejected() {
    let e = perr("a: !!python/object x\n");
    assert!(e.message.contains("constructor"), "{e}");
}

#[test]
fn json_errors_are_worded_for_json() {
    let e = parse("t.json", "{\n  \"a\": 1,\n  \"b\" 2\n}\n").expect_err("fails");
    assert!(e.message.starts_with("invalid JSON: expected `:`"), "{e}");
    assert_eq!(e.line(), 3);
}

#[test]
fn json_is_parsed_with_positions() {
    let d = parse(
        "t.json",
        "{\n  \"Resources\": {\n    \"A\": {\"Type\": \"X\"}\n  }\n}",
    )
    .unwrap();
    assert!(d.is_json());
    let s = d.span_of(&path!["Resources", "A", "Type"]).unwrap();
    assert_eq!((s.line, s.column), (3, 19));
}

#[test]
fn spans_by_path() {
    let text = "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Role: !GetAtt R.Arn\n      List: [a, b]\n";
    let d = parse("t.yaml", text).unwrap();
    let s = d
        .span_of(&path!["Resources", "Fn", "Properties", "Role"])
        .unwrap();
    assert_eq!((s.line, s.column), (5, 13));
    assert_eq!(&text[s.offset..s.offset + s.len], "!GetAtt R.Arn");
    let k = d.key_span_of(&path!["Resources", "Fn", "Type"]).unwrap();
    assert_eq!(&text[k.offset..k.offset + k.len], "Type");
    let s = d
        .span_of(&path!["Resources", "Fn", "Properties", "List", 1usize])
        .unwrap();
    assert_eq!(&text[s.offset..s.offset + s.len], "b");
    let s = d
        .span_of(&path![
            "Resources",
            "Fn",
            "Properties",
            "Role",
            "Fn::GetAtt",
            0usize
        ])
        .unwrap();
    assert_eq!(s.line, 5);
    assert!(d.span_of(&path!["Resources", "Nope"]).is_none());
    assert_eq!(d.nearest_span(&path!["Resources", "Fn", "Nope"]).line, 2);
}

#[test]
fn non_ascii_offsets_are_bytes() {
    let text = "a: \"é\"\nb: x\n";
    let d = parse("t.yaml", text).unwrap();
    let s = d.span_of(&path!["b"]).unwrap();
    assert_eq!(&text[s.offset..s.offset + s.len], "x");
}

#[test]
fn empty_document_is_null() {
    assert_eq!(p(""), Value::Null);
    assert_eq!(p("# only a comment\n"), Value::Null);
}

#[test]
fn core_tags() {
    assert_eq!(
        p(
            "a: !!str 12\nb: !!int '7'\nc: !!float '1.5'\nd: !!bool 'yes'\ne: !!null x\nf: !!map {k: v}\ng: !!seq [1]\n"
        ),
        json!({"a": "12", "b": 7, "c": 1.5, "d": true, "e": null, "f": {"k": "v"}, "g": [1]})
    );
    assert!(perr("a: !!bool maybe\n").message.contains("not a boolean"));
    assert!(perr("a: !!int abc\n").message.contains("not a number"));
    assert!(perr("a: !!set {x: 1}\n").message.contains("constructor"));
    assert!(
        perr("a: !<tag:example.com:x> 1\n")
            .message
            .contains("constructor")
    );
}

#[test]
fn merge_errors() {
    assert!(
        perr("a:\n  <<: 1\n")
            .message
            .contains("expected a mapping or list of mappings")
    );
    assert!(
        perr("a:\n  <<: [1]\n")
            .message
            .contains("expected a mapping for merging")
    );
    let v = p("x: &x {a: 1, b: 1}\ny: &y {b: 2, c: 2}\nz:\n  <<: [*x, *y]\n  c: 3\n");
    assert_eq!(v["z"], json!({"a": 1, "b": 1, "c": 3}));
}

#[test]
fn alias_bombs_are_stopped() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..8 {
        let prev = format!("*a{}", i - 1);
        let items = [prev.as_str(); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{items}]\n"));
    }
    assert!(perr(&text).message.contains("alias expansion limit"));
}

#[test]
fn undefined_alias_is_an_error() {
    assert!(parse("t.yaml", "a: *nope\n").is_err());
}

//! Python-compatible JSON output and value equality.
//!
//! The grader compares our output byte for byte with Python 3's
//! `json.dumps(json.loads(text))` using default settings. serde_json's own
//! writer does not match it: it writes no spaces after `,` and `:`, it
//! formats floats differently (`1e16` where Python writes `1e+16`), and it
//! writes non-ASCII text as raw UTF-8 where Python (`ensure_ascii=True`)
//! writes `\uXXXX`. `canonical_key` reproduces Python's `==` on loaded values
//! so that duplicates are found the way the Python reference finds them.
//!
//! Requires serde_json's `arbitrary_precision` feature: the number text is
//! read from `Number::as_str`, so big integers stay exact and each float
//! literal is rounded to f64 once, as Python's `float()` rounds it.

use serde_json::{Number, Value};
use std::fmt::Write as _;

/// Appends `v` as Python's `json.dumps` would write it.
pub fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str(out, k);
                out.push_str(": ");
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

/// How the grader node spells a lone surrogate inside a Rust string: this mark, then
/// `char(SURROGATE_BASE + unit - 0xD800)`; a real U+10FFFF is spelled as two marks. Only
/// the node's reader (`node/json.rs`) produces the spelling, because Python's `json.loads`
/// takes `"\ud800"` and a `String` cannot hold it; [`write_str`] writes both forms back
/// as the escapes Python writes.
pub const SURROGATE_MARK: char = '\u{10FFFF}';
/// The stand-in for surrogate unit `0xD800 + k` is `SURROGATE_BASE + k` (private use).
pub const SURROGATE_BASE: u32 = 0xE000;

/// Appends `s` quoted and escaped the way Python's `ensure_ascii` encoder does.
/// That includes DEL (0x7f), which Python writes as `\u007f`, because Python
/// leaves only `' '..='~'` unescaped.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            SURROGATE_MARK => {
                // The node's spelling of U+10FFFF or of a lone surrogate (see above); a
                // mark followed by anything else is written as the character it is.
                let next = chars.clone().next();
                if next == Some(SURROGATE_MARK) {
                    chars.next();
                    push_utf16(out, SURROGATE_MARK);
                } else if let Some(unit) = next.and_then(stand_in_for) {
                    chars.next();
                    let _ = write!(out, "\\u{unit:04x}");
                } else {
                    push_utf16(out, c);
                }
            }
            _ => push_utf16(out, c),
        }
    }
    out.push('"');
}

/// `c` as `\uXXXX` escapes of its UTF-16 code units, lower-case as Python writes them.
fn push_utf16(out: &mut String, c: char) {
    let mut units = [0u16; 2];
    for u in c.encode_utf16(&mut units) {
        let _ = write!(out, "\\u{u:04x}");
    }
}

/// The surrogate code unit that `c` stands in for after a [`SURROGATE_MARK`], if any.
fn stand_in_for(c: char) -> Option<u32> {
    let k = u32::from(c).checked_sub(SURROGATE_BASE)?;
    (k < 0x800).then_some(0xD800 + k)
}

/// Returns a string that is equal for two values exactly when Python's `==`
/// holds for the loaded values, except that booleans never equal numbers.
/// The key is meant for hashing and comparison, not for people to read.
pub fn canonical_key(v: &Value) -> String {
    let mut out = String::new();
    write_key(&mut out, v);
    out
}

fn write_key(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push('n'),
        Value::Bool(b) => out.push(if *b { 't' } else { 'f' }),
        Value::Number(n) => match classify(n.as_str()) {
            Num::Int(digits) => {
                out.push('i');
                out.push_str(&digits);
            }
            // Python compares int and float by exact value, so an integral
            // float shares the integer's key; `{:.0}` prints it exactly.
            Num::Float(f) if f.is_finite() && f.fract() == 0.0 => {
                out.push('i');
                out.push_str(&normalize_int(&format!("{f:.0}")));
            }
            Num::Float(f) if f.is_finite() => {
                let _ = write!(out, "x{:016x}", f.to_bits());
            }
            Num::Float(f) => out.push_str(if f > 0.0 { "+inf" } else { "-inf" }),
            Num::Other(raw) => {
                out.push('?');
                write_str(out, raw);
            }
        },
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for item in items {
                write_key(out, item);
                out.push(',');
            }
            out.push(']');
        }
        Value::Object(map) => {
            // Sorting makes key order irrelevant; keys are unique in a Map.
            let mut entries: Vec<(&String, String)> = map
                .iter()
                .map(|(k, item)| (k, canonical_key(item)))
                .collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (k, item) in entries {
                write_str(out, k);
                out.push(':');
                out.push_str(&item);
                out.push(',');
            }
            out.push('}');
        }
    }
}

enum Num<'a> {
    /// Normalised decimal integer: no leading zeros, no `-0`.
    Int(String),
    Float(f64),
    /// Text that is not a JSON number (only reachable through
    /// `Number::from_string_unchecked`); kept as is rather than panicking.
    Other(&'a str),
}

/// Mirrors json.loads: an int without fraction or exponent, otherwise a float.
fn classify(raw: &str) -> Num<'_> {
    let body = raw.strip_prefix('-').unwrap_or(raw);
    if !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit()) {
        return Num::Int(normalize_int(raw));
    }
    match raw.parse::<f64>() {
        Ok(f) if !f.is_nan() => Num::Float(f),
        _ => Num::Other(raw),
    }
}

fn normalize_int(raw: &str) -> String {
    let (neg, body) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let body = body.trim_start_matches('0');
    match (body.is_empty(), neg) {
        (true, _) => "0".to_string(),
        (false, true) => format!("-{body}"),
        (false, false) => body.to_string(),
    }
}

fn write_number(out: &mut String, n: &Number) {
    match classify(n.as_str()) {
        Num::Int(digits) => out.push_str(&digits),
        Num::Float(f) => write_float(out, f),
        Num::Other(raw) => out.push_str(raw),
    }
}

/// Python's `float.__repr__`: shortest round-trip digits, fixed notation for
/// decimal exponents in -4..16, otherwise `d.ddde+XX`.
fn write_float(out: &mut String, f: f64) {
    if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if f.is_nan() {
        out.push_str("NaN");
        return;
    }
    let sci = shortest_sci(f);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mant) = match mant.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mant),
    };
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let digits = match digits.trim_end_matches('0') {
        "" => "0",
        d => d,
    };
    out.push_str(sign);
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp.unsigned_abs() as usize + 1;
            if digits.len() <= int_len {
                out.push_str(digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                let (int_part, frac) = digits.split_at(int_len);
                out.push_str(int_part);
                out.push('.');
                out.push_str(frac);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', exp.unsigned_abs() as usize - 1));
            out.push_str(digits);
        }
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let exp_sign = if exp < 0 { '-' } else { '+' };
        let _ = write!(out, "e{exp_sign}{:02}", exp.unsigned_abs());
    }
}

/// Shortest round-trip digits in `{:e}` form, ties broken like Python.
/// Rust's shortest mode rounds an exact tie up (1608882928643910.25 gives
/// `...910.3`), Python's dtoa picks the even digit (`...910.2`). Rust's
/// fixed-precision mode rounds half to even, so redo the shortest length
/// in that mode and keep it when it still round-trips (it may not next to
/// a power of two, where the shortest result is then the only candidate).
fn shortest_sci(f: f64) -> String {
    let short = format!("{f:e}");
    let mant = short.split('e').next().unwrap_or("");
    let n = mant.bytes().filter(u8::is_ascii_digit).count();
    let even = format!("{f:.*e}", n.saturating_sub(1));
    if even.parse::<f64>() == Ok(f) {
        even
    } else {
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dumps(text: &str) -> String {
        let v: Value = serde_json::from_str(text).expect("test input is valid JSON");
        let mut out = String::new();
        write_value(&mut out, &v);
        out
    }

    fn key(text: &str) -> String {
        canonical_key(&serde_json::from_str(text).expect("test input is valid JSON"))
    }

    #[test]
    fn structure_and_separators() {
        assert_eq!(dumps("[]"), "[]");
        assert_eq!(dumps("{}"), "{}");
        assert_eq!(dumps("[1,2]"), "[1, 2]");
        assert_eq!(dumps("[true,false,null]"), "[true, false, null]");
        assert_eq!(
            dumps(r#"{"b":[1,{"c":{}}],"a":[]}"#),
            r#"{"b": [1, {"c": {}}], "a": []}"#
        );
        // Duplicate keys: first position, last value (Python dict semantics).
        assert_eq!(dumps(r#"{"a":1,"b":2,"a":3}"#), r#"{"a": 3, "b": 2}"#);
    }

    #[test]
    fn string_escapes() {
        assert_eq!(
            dumps(r#""q\" b\\ n\n r\r t\t b\b f\f /""#),
            r#""q\" b\\ n\n r\r t\t b\b f\f /""#
        );
        assert_eq!(dumps(r#""\u0000\u001f\u0001""#), r#""\u0000\u001f\u0001""#);
        assert_eq!(dumps("\"\u{7f} ~\""), r#""\u007f ~""#);
        assert_eq!(dumps("\"é€\u{ffff}\""), r#""\u00e9\u20ac\uffff""#);
        assert_eq!(dumps("\"😀\""), r#""\ud83d\ude00""#);
        assert_eq!(
            dumps(r#"{"ключ":"x"}"#),
            r#"{"\u043a\u043b\u044e\u0447": "x"}"#
        );
        let mut out = String::new();
        write_str(&mut out, "a\u{10ffff}");
        assert_eq!(out, r#""a\udbff\udfff""#);
    }

    #[test]
    fn integers() {
        assert_eq!(dumps("0"), "0");
        assert_eq!(dumps("-0"), "0");
        assert_eq!(dumps("-17"), "-17");
        assert_eq!(dumps("18446744073709551616"), "18446744073709551616");
        assert_eq!(
            dumps("-123456789012345678901234567890"),
            "-123456789012345678901234567890"
        );
    }

    #[test]
    fn floats_like_python_repr() {
        let cases = [
            ("1.0", "1.0"),
            ("1608882928643910.25", "1608882928643910.2"),
            ("78815232062337.625", "78815232062337.62"),
            ("1e0", "1.0"),
            ("1E5", "100000.0"),
            ("100000.0", "100000.0"),
            ("0.0001", "0.0001"),
            ("0.00001", "1e-05"),
            ("1.5e-5", "1.5e-05"),
            ("-0.0", "-0.0"),
            ("0e0", "0.0"),
            ("1.50", "1.5"),
            ("0.1", "0.1"),
            ("1234567890123456.0", "1234567890123456.0"),
            ("9999999999999998.0", "9999999999999998.0"),
            ("1e16", "1e+16"),
            ("12345678901234567.0", "1.2345678901234568e+16"),
            ("1.2345e20", "1.2345e+20"),
            ("1e100", "1e+100"),
            ("-2.5e-300", "-2.5e-300"),
            ("5e-324", "5e-324"),
            ("1.7976931348623157e308", "1.7976931348623157e+308"),
            ("0.1000000000000000055511151231257827", "0.1"),
            ("1e400", "Infinity"),
            ("-1e400", "-Infinity"),
            ("1e-400", "0.0"),
        ];
        for (input, want) in cases {
            assert_eq!(dumps(input), want, "input {input}");
        }
    }

    #[test]
    fn unchecked_number_text_does_not_panic() {
        let v = Value::Number(Number::from_string_unchecked("nope".to_string()));
        let mut out = String::new();
        write_value(&mut out, &v);
        assert_eq!(out, "nope");
        assert_eq!(canonical_key(&v), canonical_key(&v));
        assert_ne!(canonical_key(&v), key(r#""nope""#));
    }

    #[test]
    fn key_numbers_compare_exactly() {
        assert_eq!(key("1"), key("1.0"));
        assert_eq!(key("1"), key("1e0"));
        assert_eq!(key("1"), key("10e-1"));
        assert_eq!(key("0"), key("-0"));
        assert_eq!(key("0"), key("-0.0"));
        assert_eq!(key("100000000000000000000"), key("1e20"));
        assert_eq!(key("0.1"), key("0.1000000000000000055511151231257827"));
        assert_eq!(key("1e400"), key("2e400"));
        assert_eq!(key("1e-400"), key("0"));
        assert_ne!(key("1"), key("2"));
        assert_ne!(key("0.1"), key("0.2"));
        assert_ne!(key("-1"), key("1"));
        assert_ne!(key("1e400"), key("-1e400"));
        // 2^53 + 1 is not representable: the float rounds to 2^53.
        assert_ne!(key("9007199254740993"), key("9007199254740993.0"));
        assert_eq!(key("9007199254740992"), key("9007199254740993.0"));
        assert_ne!(key("1e23"), key("100000000000000000000000"));
        assert_eq!(key("1e23"), key("99999999999999991611392"));
    }

    #[test]
    fn key_types_and_structure() {
        assert_ne!(key("true"), key("1"));
        assert_ne!(key("false"), key("0"));
        assert_ne!(key("null"), key("false"));
        assert_ne!(key(r#""1""#), key("1"));
        assert_eq!(key(r#""é""#), key(r#""\u00e9""#));
        assert_ne!(key(r#""a""#), key(r#""b""#));
        assert_eq!(key("[1,[2.0]]"), key("[1.0,[2]]"));
        assert_ne!(key("[1,2]"), key("[2,1]"));
        assert_ne!(key("[[1],2]"), key("[[1,2]]"));
        assert_ne!(key("[]"), key("{}"));
        assert_eq!(key(r#"{"a":1,"b":[2]}"#), key(r#"{"b":[2.0],"a":1}"#));
        assert_ne!(key(r#"{"a":1}"#), key(r#"{"a":1,"b":1}"#));
        assert_ne!(key(r#"{"a":1}"#), key(r#"{"b":1}"#));
        assert_ne!(key(r#"{"a":"b","c":"d"}"#), key(r#"{"a":"b\",\"c\":\"d"}"#));
        assert_eq!(key(r#"{"a":1,"a":2}"#), key(r#"{"a":2}"#));
    }
}

//! Reading a line as Python's `json.loads` reads it, where serde_json alone would not.
//!
//! The grader's reference is Python, so a line is JSON exactly when `json.loads` takes it.
//! serde_json refuses two kinds of text that Python takes:
//!
//! - **Lone surrogate escapes.** `"\ud800"` is a Python `str` holding one surrogate code
//!   unit, and `json.dumps` writes it back as `"\ud800"`. A Rust `String` cannot hold it,
//!   so before serde sees such a line, [`rewrite`] spells every lone surrogate as two
//!   ordinary characters: [`crate::pyjson::SURROGATE_MARK`] (U+10FFFF) followed by
//!   U+E000 + (unit - 0xD800). A real U+10FFFF in the input is doubled, so the spelling is
//!   one-to-one and string equality is Python's. [`crate::pyjson::write_str`] turns both back
//!   into the `\uXXXX` escapes Python writes. Lines without surrogate escapes or U+10FFFF
//!   are parsed as they came, so the rewrite costs nothing on ordinary input.
//! - **Nesting of 128 levels or more.** serde_json stops at 128 to protect its stack;
//!   CPython reads about 1,000 levels (3.11) or more (later versions raise the C recursion
//!   limit). The node reads up to [`MAX_DEPTH`] levels: a line nested deeper than serde's
//!   limit is parsed without that limit, and the whole line is handled on a thread with a
//!   stack sized for [`MAX_DEPTH`] (`mod.rs`), because dropping, comparing and writing such
//!   a value recurse as deeply as parsing it. Deeper lines are refused with a diagnostic,
//!   as CPython refuses them with `RecursionError`.
//!
//! [`scan`] finds out which of these a line needs in one pass that tracks only whether it
//! is inside a string.

use serde_json::Value;

use crate::pyjson::{SURROGATE_BASE, SURROGATE_MARK};

/// The deepest nesting serde_json reads with its recursion limit on: it counts 128 levels
/// down and fails on the level that reaches zero.
pub const SERDE_DEPTH: usize = 127;

/// The deepest nesting the node reads. Above every CPython limit we know of (3.11 stops
/// near 1,000 levels, 3.12 and 3.13 near their C recursion limits of a few thousand), and
/// low enough that a value this deep stays cheap to compare and to write.
pub const MAX_DEPTH: usize = 10_000;

/// What [`scan`] found in a line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    /// The deepest nesting of arrays and objects, counting brackets outside strings.
    pub depth: usize,
    /// A string holds a surrogate escape or U+10FFFF, so [`rewrite`] must run first.
    pub needs_rewrite: bool,
}

/// U+10FFFF in UTF-8.
const MARK_UTF8: [u8; 4] = [0xF4, 0x8F, 0xBF, 0xBF];

/// Looks at `line` as JSON text without parsing it: linear, no allocation, never fails.
pub fn scan(line: &[u8]) -> Shape {
    let mut shape = Shape::default();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut i = 0;
    while i < line.len() {
        let b = line[i];
        if in_string {
            match b {
                b'"' => in_string = false,
                b'\\' => {
                    if line.get(i + 1) == Some(&b'u') && surrogate_at(line, i).is_some() {
                        shape.needs_rewrite = true;
                    }
                    i += 1;
                }
                0xF4 if line[i..].starts_with(&MARK_UTF8) => shape.needs_rewrite = true,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'[' | b'{' => {
                    depth += 1;
                    shape.depth = shape.depth.max(depth);
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        i += 1;
    }
    shape
}

/// The code unit of a `\uXXXX` escape starting at `line[at]` (the backslash), if it is a
/// surrogate.
fn surrogate_at(line: &[u8], at: usize) -> Option<u16> {
    let unit = escape_at(line, at)?;
    (0xD800..=0xDFFF).contains(&unit).then_some(unit)
}

/// The code unit of a `\uXXXX` escape starting at `line[at]`, if one is there.
fn escape_at(line: &[u8], at: usize) -> Option<u16> {
    let text = line.get(at..at + 6)?;
    if &text[..2] != b"\\u" {
        return None;
    }
    let hex = std::str::from_utf8(&text[2..]).ok()?;
    u16::from_str_radix(hex, 16).ok()
}

/// Writes `\uXXXX` with Python's lower-case hex.
fn push_escape(out: &mut Vec<u8>, unit: u32) {
    out.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
}

/// The mark as JSON escapes, so the rewrite never has to produce raw UTF-8.
fn push_mark(out: &mut Vec<u8>) {
    let mut units = [0u16; 2];
    for u in SURROGATE_MARK.encode_utf16(&mut units) {
        push_escape(out, u32::from(*u));
    }
}

/// Respells `line` so that serde_json reads it as the strings `json.loads` would build
/// (see the module docs): a surrogate pair stays a pair, as in Python's decoder; a lone
/// surrogate becomes the mark and its stand-in; U+10FFFF, raw or escaped, becomes two
/// marks. Text outside strings and malformed escapes are copied as they are, so serde
/// still reports what is wrong with a line that is not JSON.
pub fn rewrite(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len() + 16);
    let mut in_string = false;
    let mut i = 0;
    while i < line.len() {
        let b = line[i];
        if !in_string {
            in_string = b == b'"';
            out.push(b);
            i += 1;
            continue;
        }
        match b {
            b'"' => {
                in_string = false;
                out.push(b);
                i += 1;
            }
            b'\\' => match surrogate_at(line, i) {
                Some(high @ 0xD800..=0xDBFF) => {
                    let low = escape_at(line, i + 6).filter(|u| (0xDC00..=0xDFFF).contains(u));
                    match low {
                        Some(low) => {
                            let c = 0x10000
                                + ((u32::from(high) - 0xD800) << 10)
                                + (u32::from(low) - 0xDC00);
                            if c == u32::from(SURROGATE_MARK) {
                                push_mark(&mut out);
                            }
                            out.extend_from_slice(&line[i..i + 12]);
                            i += 12;
                        }
                        None => {
                            push_lone(&mut out, high);
                            i += 6;
                        }
                    }
                }
                Some(low) => {
                    push_lone(&mut out, low);
                    i += 6;
                }
                None => {
                    // Any other escape: copy the backslash and the byte it escapes, so an
                    // escaped quote does not end the string.
                    let end = (i + 2).min(line.len());
                    out.extend_from_slice(&line[i..end]);
                    i = end;
                }
            },
            0xF4 if line[i..].starts_with(&MARK_UTF8) => {
                out.extend_from_slice(&MARK_UTF8);
                out.extend_from_slice(&MARK_UTF8);
                i += MARK_UTF8.len();
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

fn push_lone(out: &mut Vec<u8>, unit: u16) {
    push_mark(out);
    push_escape(out, SURROGATE_BASE + (u32::from(unit) - 0xD800));
}

/// Parses one line as `json.loads` would. `shape` is the line's [`scan`]; a line nested
/// deeper than [`SERDE_DEPTH`] is parsed without serde's recursion limit, so the caller
/// must run this on a stack sized for [`MAX_DEPTH`] and must not pass a deeper line.
pub fn parse(line: &[u8], shape: Shape) -> Result<Value, serde_json::Error> {
    if !shape.needs_rewrite {
        return from_slice(line, shape.depth);
    }
    // On failure, report the error in the line's own terms rather than the rewrite's.
    from_slice(&rewrite(line), shape.depth).or_else(|_| from_slice(line, shape.depth))
}

fn from_slice(text: &[u8], depth: usize) -> Result<Value, serde_json::Error> {
    if depth <= SERDE_DEPTH {
        return serde_json::from_slice(text);
    }
    let mut de = serde_json::Deserializer::from_slice(text);
    de.disable_recursion_limit();
    let value = serde::Deserialize::deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pyjson;

    fn shape(text: &str) -> Shape {
        scan(text.as_bytes())
    }

    /// Parses `text` and writes it back as Python would.
    fn round_trip(text: &str) -> String {
        let v = parse(text.as_bytes(), scan(text.as_bytes())).expect("JSON");
        let mut out = String::new();
        pyjson::write_value(&mut out, &v);
        out
    }

    #[test]
    fn scan_counts_depth_outside_strings_only() {
        assert_eq!(shape("[[1], {\"a\": [2]}]").depth, 3);
        assert_eq!(shape("\"[[[[\"").depth, 0);
        assert_eq!(shape(r#"["\"[[["]"#).depth, 1);
        assert_eq!(shape("]]]").depth, 0);
        assert_eq!(shape(&"[".repeat(200)).depth, 200);
    }

    #[test]
    fn scan_sees_surrogate_escapes_and_the_mark_in_strings() {
        assert!(!shape(r#"{"a": "\u00e9\n"}"#).needs_rewrite);
        assert!(shape(r#"["\ud800"]"#).needs_rewrite);
        assert!(shape(r#"["\uDFFF"]"#).needs_rewrite);
        assert!(shape("[\"\u{10FFFF}\"]").needs_rewrite);
        assert!(
            !shape(r#"["\\ud800"]"#).needs_rewrite,
            "an escaped backslash"
        );
    }

    #[test]
    fn lone_surrogates_come_back_as_python_writes_them() {
        // Each expectation is what `json.dumps(json.loads(text))` prints (CPython 3.11).
        let cases = [
            (r#"["\ud800"]"#, r#"["\ud800"]"#),
            (r#"["\udc00\ud800"]"#, r#"["\udc00\ud800"]"#),
            (r#"["\ud83d\ude00"]"#, r#"["\ud83d\ude00"]"#),
            (r#"["\udbff\udfff"]"#, r#"["\udbff\udfff"]"#),
            (r#"["\ud800\ud800\udc00"]"#, r#"["\ud800\ud800\udc00"]"#),
            (r#"["a\uD800b", "\u00e9"]"#, r#"["a\ud800b", "\u00e9"]"#),
            (r#"{"\udfff": "\ud800"}"#, r#"{"\udfff": "\ud800"}"#),
            ("[\"\u{10FFFF}\\ud800\"]", r#"["\udbff\udfff\ud800"]"#),
            ("[\"\u{E000}\"]", r#"["\ue000"]"#),
        ];
        for (text, python) in cases {
            assert_eq!(round_trip(text), python, "{text}");
        }
    }

    #[test]
    fn respelled_strings_compare_as_python_compares_them() {
        let key =
            |t: &str| pyjson::canonical_key(&parse(t.as_bytes(), scan(t.as_bytes())).unwrap());
        assert_eq!(key(r#""\ud800""#), key(r#""\uD800""#));
        assert_ne!(key(r#""\ud800""#), key(r#""\ud801""#));
        assert_ne!(key(r#""\ud800""#), key("\"\u{10FFFF}\u{E000}\""));
        assert_eq!(key("\"\u{10FFFF}\""), key(r#""\udbff\udfff""#));
    }

    #[test]
    fn text_that_is_not_json_stays_not_json() {
        for bad in [
            r#"["\ud800"#,
            r#"["\ud8"]"#,
            r#"["\ud800" x]"#,
            r#"["\u"]"#,
            "[\"\\",
        ] {
            assert!(
                parse(bad.as_bytes(), scan(bad.as_bytes())).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn deep_nesting_reads_past_serdes_limit() {
        let nested = |d: usize| format!("{}{}", "[".repeat(d), "]".repeat(d));
        assert!(serde_json::from_str::<Value>(&nested(SERDE_DEPTH)).is_ok());
        assert!(serde_json::from_str::<Value>(&nested(SERDE_DEPTH + 1)).is_err());
        let deep = nested(500);
        let s = scan(deep.as_bytes());
        assert_eq!(s.depth, 500);
        assert!(serde_json::from_str::<Value>(&deep).is_err());
        assert!(parse(deep.as_bytes(), s).is_ok());
        let unbalanced = format!("{}{}", "[".repeat(500), "]".repeat(499));
        assert!(parse(unbalanced.as_bytes(), scan(unbalanced.as_bytes())).is_err());
    }
}

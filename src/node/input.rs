//! Reading input lines in bounded memory, and glimpsing into a line too long to parse.
//!
//! `BufRead::read_line` grows its buffer to fit the whole line, so one 2 GiB line would
//! cost 2 GiB. The node keeps at most [`LINE_LIMIT`] bytes of a line and counts the rest
//! as it throws it away: an oversized line is an error reply, not an allocation.
//!
//! An oversized line still deserves a reply its sender can match, and the fields that
//! address one (`src`, `dest`, `body.type`, `body.msg_id`) come first in every message a
//! grader writes. [`glimpse`] walks the kept prefix as JSON, as far as it goes, and picks
//! out just those fields; serde cannot help here because it rejects an unfinished text
//! outright.

use std::io::{self, BufRead};

use serde_json::Value;

use super::json;

/// The longest line the node parses: 1 MiB, not counting the newline.
pub const LINE_LIMIT: usize = 1 << 20;

/// How a line ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    /// The whole line is in the buffer.
    Whole,
    /// The line had `len` bytes; only the first [`LINE_LIMIT`] are in the buffer.
    Oversized { len: u64 },
}

/// Reads the next line into `buf` (without its `\n`), keeping at most `limit` bytes of it.
/// `None` at end of input; a last line without a newline is still a line.
pub fn read_line(
    input: &mut impl BufRead,
    buf: &mut Vec<u8>,
    limit: usize,
) -> io::Result<Option<Line>> {
    buf.clear();
    let mut len: u64 = 0;
    let mut started = false;
    loop {
        let chunk = match input.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(started.then(|| status(len, limit)));
        }
        started = true;
        let newline = chunk.iter().position(|&b| b == b'\n');
        let content = newline.unwrap_or(chunk.len());
        let room = limit.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..content.min(room)]);
        len += content as u64;
        input.consume(content + usize::from(newline.is_some()));
        if newline.is_some() {
            return Ok(Some(status(len, limit)));
        }
    }
}

fn status(len: u64, limit: usize) -> Line {
    if len > limit as u64 {
        Line::Oversized { len }
    } else {
        Line::Whole
    }
}

/// Whether a line is blank (skipped without a word, as the protocol says).
pub fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'))
}

/// The addressing fields found in the prefix of a message. Each is the parsed JSON value,
/// present only if the prefix held it whole; a repeated key keeps its last value, as
/// `json.loads` does.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Glimpse {
    /// The text starts as a JSON object.
    pub object: bool,
    pub src: Option<Value>,
    pub dest: Option<Value>,
    pub body_type: Option<Value>,
    pub msg_id: Option<Value>,
    /// The body has an `in_reply_to` key (its value need not be whole).
    pub in_reply_to: bool,
}

/// Scans `text` as the beginning of a message and returns the addressing fields it holds.
/// Linear in `text`, allocation only for the fields it keeps; stops quietly at the end of
/// the text or at the first thing that is not JSON.
pub fn glimpse(text: &[u8]) -> Glimpse {
    let mut found = Glimpse::default();
    let mut cur = Cursor { text, at: 0 };
    cur.ws();
    if cur.peek() != Some(b'{') {
        return found;
    }
    found.object = true;
    cur.object(&mut |key, cur| match key {
        "src" => cur.value().map(|v| found.src = v),
        "dest" => cur.value().map(|v| found.dest = v),
        "body" if cur.peek() == Some(b'{') => cur.object(&mut |key, cur| match key {
            "type" => cur.value().map(|v| found.body_type = v),
            "msg_id" => cur.value().map(|v| found.msg_id = v),
            "in_reply_to" => {
                found.in_reply_to = true;
                cur.skip()
            }
            _ => cur.skip(),
        }),
        _ => cur.skip(),
    });
    found
}

/// Reads one whole value the way the node reads a line (`json.rs`: lone surrogates as
/// Python has them), but never deeper than serde's own limit: a glimpse runs on the
/// node's ordinary stack, and the fields it looks for are short.
fn read_whole(text: &[u8]) -> Option<Value> {
    let shape = json::scan(text);
    if shape.depth > json::SERDE_DEPTH {
        return None;
    }
    json::parse(text, shape).ok()
}

/// A position in a JSON text that may stop anywhere. Every method returns `None` when the
/// text ends (or stops being JSON) before the thing it reads does.
struct Cursor<'a> {
    text: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek() == Some(byte)).then(|| self.at += 1)
    }

    /// Walks an object at the cursor, handing each key to `member` with the cursor on the
    /// key's value; `member` must step over the value.
    fn object(&mut self, member: &mut dyn FnMut(&str, &mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        self.ws();
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            self.ws();
            let start = self.at;
            self.skip_string()?;
            let key = match read_whole(&self.text[start..self.at])? {
                Value::String(key) => key,
                _ => return None,
            };
            self.ws();
            self.eat(b':')?;
            self.ws();
            member(&key, self)?;
            self.ws();
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Reads the value at the cursor; `Some(None)` when it is whole but not valid JSON.
    fn value(&mut self) -> Option<Option<Value>> {
        let start = self.at;
        self.skip()?;
        Some(read_whole(&self.text[start..self.at]))
    }

    /// Steps over the value at the cursor without building it. Nesting is counted, not
    /// recursed into, so a deeply nested value costs no stack.
    fn skip(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.skip_string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.at += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.at += 1;
                }
            }
            _ => {
                // A number or a literal: it ends where a delimiter starts, and only a
                // delimiter proves it is whole.
                let rest = &self.text[self.at..];
                let len = rest
                    .iter()
                    .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))?;
                if len == 0 {
                    return None;
                }
                self.at += len;
                Some(())
            }
        }
    }

    fn skip_string(&mut self) -> Option<()> {
        self.eat(b'"')?;
        loop {
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                b'\\' => self.at += 2,
                _ => self.at += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lines(text: &[u8], limit: usize) -> Vec<(Vec<u8>, Line)> {
        let mut input = io::BufReader::with_capacity(4, text);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(line) = read_line(&mut input, &mut buf, limit).unwrap() {
            out.push((buf.clone(), line));
        }
        out
    }

    #[test]
    fn lines_split_on_newlines_and_a_last_line_needs_none() {
        let got = lines(b"ab\n\ncdefg\nh", 100);
        let texts: Vec<&[u8]> = got.iter().map(|(t, _)| t.as_slice()).collect();
        assert_eq!(texts, [&b"ab"[..], b"", b"cdefg", b"h"]);
        assert!(got.iter().all(|(_, l)| *l == Line::Whole));
        assert!(lines(b"", 100).is_empty());
        assert_eq!(lines(b"x\n", 100).len(), 1);
    }

    #[test]
    fn an_oversized_line_keeps_only_its_prefix_and_the_next_line_is_intact() {
        let got = lines(b"0123456789\nabc\n012345\n", 6);
        assert_eq!(got[0], (b"012345".to_vec(), Line::Oversized { len: 10 }));
        assert_eq!(got[1], (b"abc".to_vec(), Line::Whole));
        assert_eq!(
            got[2],
            (b"012345".to_vec(), Line::Whole),
            "at the limit is fine"
        );
    }

    #[test]
    fn blank_lines_are_whitespace_only() {
        assert!(is_blank(b""));
        assert!(is_blank(b" \t\r"));
        assert!(!is_blank(b" x"));
    }

    #[test]
    fn glimpse_finds_the_addressing_fields_of_a_cut_message() {
        let text = br#"{"src": "c\u00e91", "dest": "n1", "body": {"type": "paxos_invariant_check", "msg_id": 7, "proposals": [{"n": 1, "va"#;
        let g = glimpse(text);
        assert!(g.object);
        assert_eq!(g.src, Some(json!("cé1")));
        assert_eq!(g.dest, Some(json!("n1")));
        assert_eq!(g.body_type, Some(json!("paxos_invariant_check")));
        assert_eq!(g.msg_id, Some(json!(7)));
        assert!(!g.in_reply_to);
    }

    #[test]
    fn glimpse_reads_lone_surrogates_as_the_node_does() {
        let g = glimpse(br#"{"src": "c\ud800", "body": {"type": "x\udfff", "msg_id": 1, "p": ["#);
        let mut src = String::new();
        crate::pyjson::write_value(&mut src, &g.src.expect("src is whole"));
        assert_eq!(src, r#""c\ud800""#);
        assert!(g.body_type.is_some_and(|t| t.is_string()));
    }

    #[test]
    fn glimpse_takes_only_whole_values() {
        // The number may go on past the cut: it is not taken.
        let g = glimpse(br#"{"src": "c1", "body": {"msg_id": 12"#);
        assert_eq!(g.msg_id, None);
        let g = glimpse(br#"{"src": "c1", "body": {"msg_id": 12, "x": [[[["#);
        assert_eq!(g.msg_id, Some(json!(12)));
        let g = glimpse(br#"{"src": "c1\"#);
        assert_eq!(g.src, None);
    }

    #[test]
    fn glimpse_skips_nested_values_and_sees_replies() {
        let g = glimpse(
            br#"{"x": {"src": "no", "y": ["}", {"a": "]"}]}, "src": "yes", "body": {"in_reply_to": [1, 2"#,
        );
        assert_eq!(g.src, Some(json!("yes")));
        assert!(g.in_reply_to);
    }

    #[test]
    fn glimpse_of_non_objects_and_garbage_finds_nothing() {
        assert_eq!(glimpse(b"[1, 2"), Glimpse::default());
        assert_eq!(glimpse(b"   garbage"), Glimpse::default());
        let g = glimpse(b"{garbage");
        assert!(g.object && g.src.is_none());
        let deep = [b'['; 100_000];
        let g = glimpse(&[br#"{"a": "#.as_slice(), &deep].concat());
        assert!(g.object && g.src.is_none());
    }
}

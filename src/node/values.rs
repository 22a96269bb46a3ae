//! Interning the JSON values of a request into the checker's [`Value`] ids.
//!
//! The protocol and the checker compare values as integers. Two JSON values get the same id
//! exactly when they are equal as JSON values (`1` and `1.0`, `{"a": 1, "b": 2}` and
//! `{"b": 2, "a": 1}`), which is what [`pyjson::canonical_key`] encodes. Each id remembers
//! the first JSON text it was seen with, to render violations in the request's own terms.

use rustc_hash::FxHashMap;
use serde_json::Value as Json;

use crate::ballot::Value;
use crate::pyjson;

/// Diagnostics show at most this many characters of one value.
const RENDER_CHARS: usize = 120;

/// The values of one request.
#[derive(Debug, Default)]
pub struct Values<'a> {
    ids: FxHashMap<String, Value>,
    first: Vec<&'a Json>,
}

impl<'a> Values<'a> {
    /// The id of `v`. Ids start at 1, so that `Value::default()` (which the checker uses
    /// as a placeholder) never names a request's value.
    pub fn intern(&mut self, v: &'a Json) -> Value {
        let next = Value(self.first.len() as u32 + 1);
        let id = *self.ids.entry(pyjson::canonical_key(v)).or_insert(next);
        if id == next {
            self.first.push(v);
        }
        id
    }

    /// The first JSON value interned as `id`.
    pub fn json(&self, id: Value) -> Option<&'a Json> {
        let index = (id.0 as usize).checked_sub(1)?;
        self.first.get(index).copied()
    }

    /// `id` as Python would print it, shortened for a one-line diagnostic.
    pub fn render(&self, id: Value) -> String {
        let Some(v) = self.json(id) else {
            return id.to_string();
        };
        let mut text = String::new();
        pyjson::write_value(&mut text, v);
        if let Some((cut, _)) = text.char_indices().nth(RENDER_CHARS) {
            text.truncate(cut);
            text.push_str("...");
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_json_values_share_an_id_and_keep_their_first_text() {
        let (a, b, c, d, one) = (
            json!({"x": 1, "y": [2]}),
            serde_json::from_str::<Json>(r#"{"y": [2.0], "x": 1}"#).unwrap(),
            json!("x"),
            json!(true),
            json!(1),
        );
        let mut values = Values::default();
        let ia = values.intern(&a);
        assert_eq!(values.intern(&b), ia);
        assert_ne!(values.intern(&c), ia);
        assert_ne!(values.intern(&d), values.intern(&one));
        assert_eq!(values.json(ia), Some(&a));
        assert_eq!(values.render(ia), r#"{"x": 1, "y": [2]}"#);
        assert_eq!(values.json(Value(0)), None);
    }

    #[test]
    fn long_values_render_shortened() {
        let long = json!("é".repeat(500));
        let mut values = Values::default();
        let id = values.intern(&long);
        let text = values.render(id);
        assert!(text.ends_with("...") && text.len() < 200);
    }
}

//! Reading the fields of a request, and saying which one is wrong.
//!
//! The protocol's error reply must name the field at fault, so every accessor here returns
//! a [`Problem`] that the caller turns into a [`FieldError`] with the field's name (built
//! only on the error path: a request with 100,000 proposals formats no names when it is
//! well formed).
//!
//! Integers follow `json.loads`: `3` is an integer, `3.0` and `3e0` are floats, `true` is
//! a boolean, and an integer has no size limit. Ballot numbers are kept as exact decimal
//! digits ([`Nat`]) and only ever compared, so no ballot is too large; counts and seeds are
//! read into `u64` with their own ranges.

use std::cmp::Ordering;
use std::fmt;

use serde_json::{Map, Value};

/// A request field that is missing, of the wrong type, or out of range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The field's path, such as `nodes` or `proposals[2].accepted_by[0]`.
    pub field: String,
    pub problem: Problem,
}

impl FieldError {
    pub fn new(field: impl Into<String>, problem: Problem) -> FieldError {
        FieldError {
            field: field.into(),
            problem,
        }
    }
}

impl FieldError {
    /// The same error one level down: `n` inside `proposals[2]` is `proposals[2].n`.
    pub fn under(mut self, parent: &str) -> FieldError {
        self.field = format!("{parent}.{}", self.field);
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            Problem::Missing => write!(f, "field '{}' is missing", self.field),
            Problem::Null => write!(f, "field '{}' must not be null", self.field),
            Problem::Type { want, got } => {
                write!(f, "field '{}' must be {want}, not {got}", self.field)
            }
            Problem::Range(rule) => write!(f, "field '{}' is out of range: {rule}", self.field),
        }
    }
}

/// What is wrong with a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    Missing,
    /// `null` where the protocol asks for "any JSON value but null".
    Null,
    /// Wrong JSON type: `want` and `got` are phrases such as "an integer", "a float".
    Type {
        want: &'static str,
        got: &'static str,
    },
    /// The right type, the wrong value; the text says what is allowed.
    Range(String),
}

impl Problem {
    pub fn at(self, field: impl Into<String>) -> FieldError {
        FieldError::new(field, self)
    }
}

/// The JSON type of `v` as `json.loads` sees it, for error texts.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if is_integer_text(n.as_str()) => "an integer",
        Value::Number(_) => "a float",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn is_integer_text(raw: &str) -> bool {
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A non-negative integer of any size, as its decimal digits without leading zeros.
/// Ordered as a number.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Nat(String);

impl Nat {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value, if it fits in a `u64`.
    pub fn to_u64(&self) -> Option<u64> {
        self.0.parse().ok()
    }
}

impl Ord for Nat {
    fn cmp(&self, other: &Nat) -> Ordering {
        // Without leading zeros, more digits means larger.
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Nat {
    fn partial_cmp(&self, other: &Nat) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Nat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads a JSON integer `>= 0`. `-0` is `json.loads`'s integer 0, so it counts as 0.
pub fn nat(v: &Value) -> Result<Nat, Problem> {
    let want = "an integer";
    let Value::Number(n) = v else {
        return Err(Problem::Type { want, got: kind(v) });
    };
    let raw = n.as_str();
    if !is_integer_text(raw) {
        return Err(Problem::Type { want, got: kind(v) });
    }
    let (negative, digits) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Ok(Nat("0".to_string()));
    }
    if negative {
        return Err(Problem::Range("must be >= 0".to_string()));
    }
    Ok(Nat(digits.to_string()))
}

/// Reads a JSON integer in `lo..=hi`.
pub fn int_in(v: &Value, lo: u64, hi: u64) -> Result<u64, Problem> {
    // A field bounded only by `u64` reads "must be >= 0" when negative, but the bound
    // must be spelled out when it is too large: "must be >= 0" for 2^64 would be false.
    let below = || {
        if hi == u64::MAX {
            Problem::Range(format!("must be >= {lo}"))
        } else {
            Problem::Range(format!("must be between {lo} and {hi}"))
        }
    };
    let above = || Problem::Range(format!("must be between {lo} and {hi}"));
    let n = nat(v).map_err(|p| match p {
        Problem::Range(_) => below(),
        other => other,
    })?;
    match n.to_u64() {
        Some(x) if (lo..=hi).contains(&x) => Ok(x),
        Some(x) if x < lo => Err(below()),
        _ => Err(above()),
    }
}

/// A field that must be present. `null` counts as present: it is the caller's to refuse.
pub fn required<'a>(body: &'a Map<String, Value>, key: &str) -> Result<&'a Value, Problem> {
    body.get(key).ok_or(Problem::Missing)
}

/// Reads the required field `key` of `obj` with `read`, naming the field in any error.
pub fn field<'a, T>(
    obj: &'a Map<String, Value>,
    key: &str,
    read: impl FnOnce(&'a Value) -> Result<T, Problem>,
) -> Result<T, FieldError> {
    required(obj, key).and_then(read).map_err(|p| p.at(key))
}

/// An optional field: absent and `null` both mean "not given", as `dict.get` has it.
pub fn optional<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    body.get(key).filter(|v| !v.is_null())
}

/// A value that may be anything but `null` (the protocol's "any JSON value but null").
pub fn non_null(v: &Value) -> Result<&Value, Problem> {
    if v.is_null() {
        Err(Problem::Null)
    } else {
        Ok(v)
    }
}

pub fn array(v: &Value) -> Result<&Vec<Value>, Problem> {
    v.as_array().ok_or(Problem::Type {
        want: "an array",
        got: kind(v),
    })
}

pub fn object(v: &Value) -> Result<&Map<String, Value>, Problem> {
    v.as_object().ok_or(Problem::Type {
        want: "an object",
        got: kind(v),
    })
}

pub fn string(v: &Value) -> Result<&str, Problem> {
    v.as_str().ok_or(Problem::Type {
        want: "a string",
        got: kind(v),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn num(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn nat_reads_json_integers_of_any_size() {
        assert_eq!(nat(&num("0")).unwrap().as_str(), "0");
        assert_eq!(nat(&num("-0")).unwrap().as_str(), "0");
        assert_eq!(nat(&num("42")).unwrap().as_str(), "42");
        let big = "123456789012345678901234567890";
        assert_eq!(nat(&num(big)).unwrap().as_str(), big);
        assert_eq!(nat(&num(big)).unwrap().to_u64(), None);
        assert!(matches!(nat(&num("-1")), Err(Problem::Range(_))));
        for not_int in ["1.0", "1e3", "true", "\"1\"", "null", "[1]", "{}"] {
            assert!(
                matches!(nat(&num(not_int)), Err(Problem::Type { .. })),
                "{not_int}"
            );
        }
    }

    #[test]
    fn nats_order_as_numbers() {
        let n = |s: &str| nat(&num(s)).unwrap();
        assert!(n("9") < n("10"));
        assert!(n("10") < n("11"));
        assert!(n("18446744073709551615") < n("18446744073709551616"));
        assert_eq!(n("-0"), n("0"));
    }

    #[test]
    fn int_in_checks_the_range() {
        assert_eq!(int_in(&num("5"), 1, 10), Ok(5));
        assert!(matches!(int_in(&num("0"), 1, 10), Err(Problem::Range(_))));
        assert!(matches!(int_in(&num("11"), 1, 10), Err(Problem::Range(_))));
        assert!(matches!(
            int_in(&num("-3"), 0, u64::MAX),
            Err(Problem::Range(_))
        ));
        assert_eq!(
            int_in(&num("18446744073709551615"), 0, u64::MAX),
            Ok(u64::MAX)
        );
        assert_eq!(
            int_in(&num("18446744073709551616"), 0, u64::MAX),
            Err(Problem::Range(
                "must be between 0 and 18446744073709551615".to_string()
            ))
        );
        assert_eq!(
            int_in(&num("-1"), 0, u64::MAX),
            Err(Problem::Range("must be >= 0".to_string()))
        );
        assert!(matches!(
            int_in(&json!(true), 0, 9),
            Err(Problem::Type { .. })
        ));
    }

    #[test]
    fn errors_name_the_field() {
        let body = json!({"a": null});
        let body = body.as_object().unwrap();
        assert_eq!(
            required(body, "nodes").unwrap_err().at("nodes").to_string(),
            "field 'nodes' is missing"
        );
        assert!(required(body, "a").is_ok());
        assert!(optional(body, "a").is_none());
        let e = int_in(&num("1.5"), 1, 9).unwrap_err().at("nodes");
        assert_eq!(
            e.to_string(),
            "field 'nodes' must be an integer, not a float"
        );
        let e = int_in(&num("0"), 1, 10_000).unwrap_err().at("nodes");
        assert_eq!(
            e.to_string(),
            "field 'nodes' is out of range: must be between 1 and 10000"
        );
    }
}

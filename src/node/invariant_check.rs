//! `paxos_invariant_check`: the verdict on a history of proposals and votes.
//!
//! The node does not judge the history itself. It turns the proposals into the events the
//! simulator's checker sees (a proposal, then a vote per acceptor) and reads the answer
//! off the [`Checker`]: what it says is chosen, and whether immutability and ballot
//! uniqueness held. One checker, one definition of safety, for the simulator and the
//! grader alike.
//!
//! The events go in ballot order, and within a ballot in input order, which is the order in
//! which a real run could have produced them: the checker then sees a value chosen before
//! any higher ballot arrives, and "every proposal above the chosen ballot" is exactly what
//! its immutability rule covers. Ballot numbers of any size become ranks (the index of
//! their distinct value in sorted order), which keeps their order and fits `Ballot(u64)`.

use rustc_hash::FxHashMap;
use serde_json::{Map, Value as Json};

use super::fields::{array, field, int_in, nat, non_null, object, optional, string};
use super::fields::{FieldError, Nat, Problem};
use super::values::Values;
use super::{bool_text, MAX_NODES, MAX_PROPOSALS};
use crate::ballot::{AcceptorId, Ballot, Value};
use crate::checker::{Checker, Invariant, Observation};
use crate::pyjson;

/// The checker's verdict, in the reply's terms.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict<'a> {
    /// The chosen proposal's value (as its first entry wrote it) and ballot number.
    pub chosen: Option<(&'a Json, Nat)>,
    pub all_subsequent_match: bool,
    pub safe: bool,
    /// When unsafe: the checker's first violation, with the request's numbers and values.
    pub violation: Option<String>,
}

impl Verdict<'_> {
    /// Appends the reply fields between `in_reply_to` and `msg_id`.
    pub fn write_fields(&self, out: &mut String) {
        out.push_str(", \"chosen_value\": ");
        match &self.chosen {
            Some((v, _)) => pyjson::write_value(out, v),
            None => out.push_str("null"),
        }
        out.push_str(", \"chosen_at_n\": ");
        match &self.chosen {
            Some((_, n)) => out.push_str(n.as_str()),
            None => out.push_str("null"),
        }
        out.push_str(", \"all_subsequent_match\": ");
        out.push_str(bool_text(self.all_subsequent_match));
        out.push_str(", \"safe\": ");
        out.push_str(bool_text(self.safe));
    }
}

/// One input entry, validated.
struct Entry<'a> {
    n: Nat,
    value: Value,
    json: &'a Json,
    /// Its acceptors: a range of the shared voter list.
    voters: std::ops::Range<usize>,
}

/// One proposal of the history: the entries with the same `n` and the same value.
struct Proposal<'a> {
    rank: usize,
    value: Value,
    json: &'a Json,
    voters: Vec<AcceptorId>,
}

/// Validates the request and returns the checker's verdict on its history.
pub fn check(body: &Map<String, Json>) -> Result<Verdict<'_>, FieldError> {
    let proposals = field(body, "proposals", array)?;
    if proposals.len() > MAX_PROPOSALS {
        return Err(Problem::Range(format!("at most {MAX_PROPOSALS} proposals")).at("proposals"));
    }
    let nodes = optional(body, "nodes")
        .map(|v| int_in(v, 1, MAX_NODES))
        .transpose()
        .map_err(|p| p.at("nodes"))?;

    let mut values = Values::default();
    let mut acceptors = Acceptors::new(nodes);
    let mut voters: Vec<AcceptorId> = Vec::new();
    let mut entries = Vec::with_capacity(proposals.len());
    for (i, p) in proposals.iter().enumerate() {
        let path = || format!("proposals[{i}]");
        let p = object(p).map_err(|e| e.at(path()))?;
        let n = field(p, "n", nat).map_err(|e| e.under(&path()))?;
        let json = field(p, "value", non_null).map_err(|e| e.under(&path()))?;
        let ids = field(p, "accepted_by", array).map_err(|e| e.under(&path()))?;
        let start = voters.len();
        for (j, id) in ids.iter().enumerate() {
            let a = string(id)
                .and_then(|id| acceptors.intern(id))
                .map_err(|e| e.at(format!("proposals[{i}].accepted_by[{j}]")))?;
            voters.push(a);
        }
        entries.push(Entry {
            n,
            value: values.intern(json),
            json,
            voters: start..voters.len(),
        });
    }
    let quorum = acceptors.cluster_size() / 2 + 1;

    // Ballot order; the sort is stable, so equal ballots keep their input order.
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&a, &b| entries[a].n.cmp(&entries[b].n));
    let mut ballots: Vec<&Nat> = Vec::new();
    let mut history: Vec<Proposal> = Vec::new();
    let mut in_ballot: FxHashMap<Value, usize> = FxHashMap::default();
    for &e in &order {
        let entry = &entries[e];
        if ballots.last() != Some(&&entry.n) {
            ballots.push(&entry.n);
            in_ballot.clear();
        }
        let rank = ballots.len() - 1;
        let k = *in_ballot.entry(entry.value).or_insert_with(|| {
            history.push(Proposal {
                rank,
                value: entry.value,
                json: entry.json,
                voters: Vec::new(),
            });
            history.len() - 1
        });
        history[k]
            .voters
            .extend_from_slice(&voters[entry.voters.clone()]);
    }

    let mut checker = Checker::new(quorum as usize);
    for p in &mut history {
        // An id listed twice counts once.
        p.voters.sort_unstable();
        p.voters.dedup();
        let ballot = Ballot(p.rank as u64);
        let value = p.value;
        checker.observe(Observation::Proposal { ballot, value });
        for &acceptor in &p.voters {
            checker.observe(Observation::Vote {
                acceptor,
                ballot,
                value,
            });
        }
    }

    let chosen = checker.chosen().and_then(|(ballot, value)| {
        history
            .iter()
            .find(|p| Ballot(p.rank as u64) == ballot && p.value == value)
            .map(|p| (p.json, ballots[p.rank].clone()))
    });
    let all_subsequent_match = checker.holds(Invariant::Immutability);
    let safe = all_subsequent_match && checker.holds(Invariant::BallotUniqueness);
    let ballot_text = |b: Ballot| {
        usize::try_from(b.0)
            .ok()
            .and_then(|r| ballots.get(r))
            .map_or_else(|| b.to_string(), |n| n.to_string())
    };
    let violation = (!safe)
        .then(|| checker.violation())
        .flatten()
        .map(|v| v.explain(ballot_text, |v| values.render(v)));
    Ok(Verdict {
        chosen,
        all_subsequent_match,
        safe,
        violation,
    })
}

/// Acceptor names to ids, and the cluster size they imply.
struct Acceptors<'a> {
    ids: FxHashMap<&'a str, AcceptorId>,
    nodes: Option<u64>,
    /// The highest `k` of an id written `n<k>`.
    highest_k: u64,
}

impl<'a> Acceptors<'a> {
    fn new(nodes: Option<u64>) -> Acceptors<'a> {
        Acceptors {
            ids: FxHashMap::default(),
            nodes,
            highest_k: 0,
        }
    }

    /// The id of acceptor `name`; refuses a name that would make the cluster larger than
    /// `nodes` or than the node's limit.
    fn intern(&mut self, name: &'a str) -> Result<AcceptorId, Problem> {
        if let Some(&id) = self.ids.get(name) {
            return Ok(id);
        }
        let count = self.ids.len() as u64 + 1;
        match self.nodes {
            Some(nodes) if count > nodes => {
                return Err(Problem::Range(format!(
                    "more distinct acceptor ids than nodes ({nodes})"
                )))
            }
            None if count > MAX_NODES => {
                return Err(Problem::Range(format!(
                    "more than {MAX_NODES} distinct acceptor ids"
                )))
            }
            Some(_) => {}
            None => {
                let k = numbered(name).unwrap_or(0);
                if k > MAX_NODES {
                    return Err(Problem::Range(format!(
                        "an acceptor written n<k> with k > {MAX_NODES} makes a cluster \
                         of more than {MAX_NODES} nodes"
                    )));
                }
                self.highest_k = self.highest_k.max(k);
            }
        }
        // Both branches above keep count <= MAX_NODES, far below u16::MAX.
        let id = AcceptorId::try_from(count - 1).unwrap_or(AcceptorId::MAX);
        self.ids.insert(name, id);
        Ok(id)
    }

    /// N: `nodes` if given, else the larger of the distinct ids and the highest `n<k>`.
    fn cluster_size(&self) -> u64 {
        self.nodes
            .unwrap_or_else(|| (self.ids.len() as u64).max(self.highest_k))
    }
}

/// `k` for an acceptor id written `n<k>` (ASCII digits), saturating at `u64::MAX`.
fn numbered(name: &str) -> Option<u64> {
    let digits = name.strip_prefix('n')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn verdict(proposals: Json) -> Verdict<'static> {
        let body = Box::leak(Box::new(
            json!({ "proposals": proposals })
                .as_object()
                .cloned()
                .unwrap(),
        ));
        check(body).unwrap()
    }

    fn with_nodes(nodes: u64, proposals: Json) -> Result<Verdict<'static>, FieldError> {
        let body = Box::leak(Box::new(
            json!({ "proposals": proposals, "nodes": nodes })
                .as_object()
                .cloned()
                .unwrap(),
        ));
        check(body)
    }

    fn p(n: u64, value: Json, by: &[&str]) -> Json {
        json!({"n": n, "value": value, "accepted_by": by})
    }

    fn chosen(v: &Verdict) -> Option<(Json, String)> {
        v.chosen
            .as_ref()
            .map(|(j, n)| ((*j).clone(), n.to_string()))
    }

    #[test]
    fn the_protocol_example() {
        let v = verdict(json!([
            p(1, json!("a"), &["n1"]),
            p(3, json!("b"), &["n1", "n2", "n3"]),
            p(5, json!("b"), &["n2"]),
        ]));
        assert_eq!(chosen(&v), Some((json!("b"), "3".to_string())));
        assert!(v.all_subsequent_match && v.safe);
        let mut out = String::new();
        v.write_fields(&mut out);
        assert_eq!(
            out,
            r#", "chosen_value": "b", "chosen_at_n": 3, "all_subsequent_match": true, "safe": true"#
        );
    }

    #[test]
    fn order_of_the_input_does_not_matter() {
        let v = verdict(json!([
            p(5, json!("b"), &["n2"]),
            p(3, json!("b"), &["n3", "n2", "n1"]),
            p(1, json!("a"), &["n1"]),
        ]));
        assert_eq!(chosen(&v), Some((json!("b"), "3".to_string())));
        assert!(v.safe);
    }

    #[test]
    fn a_later_ballot_with_another_value_is_unsafe_even_unaccepted() {
        let v = verdict(json!([
            p(9, json!("c"), &[]),
            p(2, json!("b"), &["n1", "n2"]),
            p(1, json!("a"), &["n3"]),
        ]));
        assert_eq!(chosen(&v), Some((json!("b"), "2".to_string())));
        assert!(!v.all_subsequent_match && !v.safe);
        let why = v.violation.unwrap();
        assert!(why.starts_with("immutability violated"), "{why}");
        assert!(why.contains("\"c\" at ballot 9"), "{why}");
        assert!(why.contains("\"b\" was chosen at ballot 2"), "{why}");
    }

    #[test]
    fn two_values_at_one_ballot_break_uniqueness() {
        let v = verdict(json!([
            p(4, json!("x"), &["n1"]),
            p(4, json!("y"), &["n2", "n3"]),
        ]));
        assert_eq!(chosen(&v), Some((json!("y"), "4".to_string())));
        assert!(v.all_subsequent_match, "nothing above the chosen ballot");
        assert!(!v.safe);
        assert!(v
            .violation
            .unwrap()
            .starts_with("ballot-uniqueness violated"));
    }

    #[test]
    fn among_equal_ballots_the_first_in_input_order_is_chosen() {
        let v = verdict(json!([
            p(4, json!("x"), &["n1", "n2"]),
            p(4, json!("y"), &["n2", "n3"]),
        ]));
        assert_eq!(chosen(&v), Some((json!("x"), "4".to_string())));
        assert!(!v.safe);
    }

    #[test]
    fn entries_with_equal_ballot_and_value_merge_and_ids_count_once() {
        let v = verdict(json!([
            p(2, json!(1), &["n1", "n1"]),
            p(2, json!(1.0), &["n2"]),
        ]));
        // N = 2 from the ids: quorum 2, reached only by joining the two entries.
        assert_eq!(chosen(&v), Some((json!(1), "2".to_string())));
        assert!(v.safe);
        let v = verdict(json!([
            p(2, json!(1), &["n1", "n1"]),
            p(3, json!(0), &["n2"])
        ]));
        assert_eq!(chosen(&v), None);
        assert!(v.all_subsequent_match && v.safe);
    }

    #[test]
    fn cluster_size_comes_from_nodes_or_from_the_highest_numbered_id() {
        // n5 means at least five nodes: quorum 3, and two votes choose nothing.
        let v = verdict(json!([p(1, json!("a"), &["n1", "n5"])]));
        assert_eq!(chosen(&v), None);
        let v = verdict(json!([p(1, json!("a"), &["x", "y"])]));
        assert!(chosen(&v).is_some(), "two ids: N = 2, quorum 2");
        let v = with_nodes(3, json!([p(1, json!("a"), &["a", "b"])])).unwrap();
        assert!(chosen(&v).is_some());
        let v = with_nodes(4, json!([p(1, json!("a"), &["a", "b"])])).unwrap();
        assert!(chosen(&v).is_none());
        let e = with_nodes(2, json!([p(1, json!("a"), &["a", "b", "c"])])).unwrap_err();
        assert_eq!(e.field, "proposals[0].accepted_by[2]");
        let e = check(
            json!({"proposals": [p(1, json!(1), &["n10001"])]})
                .as_object()
                .unwrap(),
        )
        .unwrap_err();
        assert_eq!(e.field, "proposals[0].accepted_by[0]");
    }

    #[test]
    fn nothing_chosen_is_null_and_safe() {
        let v = verdict(json!([]));
        assert_eq!(chosen(&v), None);
        assert!(v.all_subsequent_match && v.safe);
        let mut out = String::new();
        v.write_fields(&mut out);
        assert_eq!(
            out,
            r#", "chosen_value": null, "chosen_at_n": null, "all_subsequent_match": true, "safe": true"#
        );
    }

    #[test]
    fn huge_ballot_numbers_keep_their_order() {
        let body = serde_json::from_str::<Json>(
            r#"{"proposals": [
                {"n": 100000000000000000000001, "value": "late", "accepted_by": []},
                {"n": 100000000000000000000000, "value": "v", "accepted_by": ["a"]}]}"#,
        )
        .unwrap();
        let v = check(body.as_object().unwrap()).unwrap();
        let (value, n) = v.chosen.clone().unwrap();
        assert_eq!(
            (value, n.as_str()),
            (&json!("v"), "100000000000000000000000")
        );
        assert!(!v.safe);
        assert!(v
            .violation
            .unwrap()
            .contains("ballot 100000000000000000000001"));
    }

    #[test]
    fn fields_are_named_with_their_path() {
        let err = |v: Json| check(v.as_object().unwrap()).unwrap_err().to_string();
        assert_eq!(err(json!({})), "field 'proposals' is missing");
        assert!(err(json!({"proposals": {}})).contains("'proposals' must be an array"));
        assert!(err(json!({"proposals": [], "nodes": 0})).contains("'nodes' is out of range"));
        assert!(err(json!({"proposals": [1]})).contains("'proposals[0]' must be an object"));
        assert_eq!(
            err(json!({"proposals": [{"value": 1, "accepted_by": []}]})),
            "field 'proposals[0].n' is missing"
        );
        assert!(
            err(json!({"proposals": [{"n": true, "value": 1, "accepted_by": []}]}))
                .contains("'proposals[0].n' must be an integer, not a boolean")
        );
        assert!(
            err(json!({"proposals": [{"n": 1, "value": null, "accepted_by": []}]}))
                .contains("'proposals[0].value'")
        );
        assert!(
            err(json!({"proposals": [{"n": 1, "value": 1, "accepted_by": [3]}]}))
                .contains("'proposals[0].accepted_by[0]' must be a string")
        );
        let many = vec![json!({}); MAX_PROPOSALS + 1];
        assert!(err(json!({ "proposals": many })).contains("at most 100000 proposals"));
    }

    #[test]
    fn ten_thousand_acceptors_is_the_limit() {
        let ids: Vec<String> = (1..=10_000).map(|k| format!("a{k}")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let v = verdict(json!([p(1, json!("a"), &refs)]));
        assert!(chosen(&v).is_some());
        let mut more = refs.clone();
        more.push("one more");
        let body = json!({"proposals": [p(1, json!("a"), &more)]});
        let e = check(body.as_object().unwrap()).unwrap_err();
        assert_eq!(e.field, "proposals[0].accepted_by[10000]");
    }
}

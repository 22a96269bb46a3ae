#!/usr/bin/env node
// A single-decree Paxos acceptor on stdin/stdout, in memory (PROTOCOL.md, "The acceptor"):
// the same rules as acceptor.py, to show that the harness is not tied to Python.
//
// The verifier (`--acceptor-cmd`) reads replies in any JSON formatting. This one also
// writes them as Python's json.dumps does, byte for byte, so that it can stand in for the
// grader node too (tests/suite/acceptor_processes.rs compares the two line for line), and
// JavaScript's JSON does not:
// JSON.parse turns every number into a double (a proposal_n of 2^63 would lose digits) and
// reorders integer-like object keys, and JSON.stringify writes no spaces and raw non-ASCII.
// So this file carries a small JSON reader (integers as BigInt, floats boxed, objects as
// Maps in arrival order) and a writer in Python's format. No npm packages.
"use strict";
const readline = require("readline");

// ---- The acceptor ----
let promised = null; // the highest proposal_n promised (BigInt), or null
let acceptedN = null; // the latest vote's proposal_n, or null
let acceptedValue = null; // the latest vote's value

function prepare(n) {
  if (promised === null || n > promised) {
    promised = n;
    return [["promised", true], ["accepted_n", acceptedN], ["accepted_value", acceptedValue]];
  }
  return [["promised", false], ["highest_promised", promised]];
}

function accept(n, value) {
  if (promised === null || n >= promised) {
    promised = n;
    acceptedN = n;
    acceptedValue = value;
    return [["accepted", true], ["proposal_n", n], ["value", value]];
  }
  return [["accepted", false], ["highest_promised", promised]];
}

// ---- JSON as Python reads it ----
class PyFloat {
  constructor(x) { this.x = x; }
}

function parse(text) {
  let i = 0;
  const fail = () => { throw new SyntaxError(`not JSON at ${i}`); };
  const ws = () => { while (" \t\n\r".includes(text[i]) && i < text.length) i++; };
  function value() {
    ws();
    const c = text[i];
    if (c === "{") {
      const map = new Map();
      i++; ws();
      if (text[i] === "}") { i++; return map; }
      for (;;) {
        ws();
        if (text[i] !== "\"") fail();
        const key = string();
        ws();
        if (text[i++] !== ":") fail();
        map.set(key, value()); // a repeated key keeps its place and takes the last value
        ws();
        const d = text[i++];
        if (d === "}") return map;
        if (d !== ",") fail();
      }
    }
    if (c === "[") {
      const arr = [];
      i++; ws();
      if (text[i] === "]") { i++; return arr; }
      for (;;) {
        arr.push(value());
        ws();
        const d = text[i++];
        if (d === "]") return arr;
        if (d !== ",") fail();
      }
    }
    if (c === "\"") return string();
    for (const [word, v] of [["true", true], ["false", false], ["null", null],
      ["NaN", new PyFloat(NaN)], ["Infinity", new PyFloat(Infinity)],
      ["-Infinity", new PyFloat(-Infinity)]]) {
      if (text.startsWith(word, i)) { i += word.length; return v; }
    }
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 4096));
    if (!m) fail();
    i += m[0].length;
    return m[2] || m[3] ? new PyFloat(Number(m[0])) : BigInt(m[0]);
  }
  function string() {
    let out = "";
    i++;
    for (;;) {
      const c = text[i++];
      if (c === undefined || c < " ") fail();
      if (c === "\"") return out;
      if (c !== "\\") { out += c; continue; }
      const e = text[i++];
      const simple = { "\"": "\"", "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
      if (e in simple) out += simple[e];
      else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i, i + 4))) {
        out += String.fromCharCode(parseInt(text.slice(i, i + 4), 16)); // lone surrogates too
        i += 4;
      } else fail();
    }
  }
  const v = value();
  ws();
  if (i !== text.length) fail();
  return v;
}

// ---- JSON as Python writes it ----
function pyFloat(x) {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mant, e] = x.toExponential().split("e"); // shortest round-trip digits, as repr
  const exp = Number(e);
  const sign = mant.startsWith("-") ? "-" : "";
  const digits = mant.replace("-", "").replace(".", "");
  if (exp >= 16 || exp < -4) {
    const frac = digits.length > 1 ? "." + digits.slice(1) : "";
    return `${sign}${digits[0]}${frac}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${"0".repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

function pyString(s) {
  const named = { "\"": "\\\"", "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f" };
  let out = "\"";
  for (let k = 0; k < s.length; k++) { // UTF-16 code units, as Python's ensure_ascii writes them
    const ch = s[k];
    const u = s.charCodeAt(k);
    if (ch in named) out += named[ch];
    else if (u >= 0x20 && u <= 0x7e) out += ch;
    else out += "\\u" + u.toString(16).padStart(4, "0");
  }
  return out + "\"";
}

function dumps(v) {
  if (v === null || v === undefined) return "null";
  if (v === true) return "true";
  if (v === false) return "false";
  if (typeof v === "bigint") return v.toString();
  if (v instanceof PyFloat) return pyFloat(v.x);
  if (typeof v === "string") return pyString(v);
  if (Array.isArray(v)) return "[" + v.map(dumps).join(", ") + "]";
  return "{" + [...v].map(([k, x]) => pyString(k) + ": " + dumps(x)).join(", ") + "}";
}

// ---- The node ----
let nodeId = null;
let sent = 0n;

function proposalN(body) {
  const n = body.get("proposal_n");
  if (typeof n !== "bigint" || n < 0n) throw new RangeError("field 'proposal_n' must be an integer >= 0");
  return n;
}

function handle(kind, body) {
  if (kind === "init") { nodeId = body.get("node_id"); return ["init_ok", []]; }
  if (kind === "paxos_prepare") return ["paxos_promise", prepare(proposalN(body))];
  if (kind === "paxos_accept") {
    const n = proposalN(body);
    if (!body.has("value")) throw new RangeError("field 'value' is missing");
    return ["paxos_accepted", accept(n, body.get("value"))];
  }
  if (kind === "paxos_chosen") return ["paxos_chosen_ok", [["value", acceptedValue], ["chosen_at_n", acceptedN]]];
  return ["error", [["code", 10n], ["text", `unsupported message type "${kind}"`]]];
}

readline.createInterface({ input: process.stdin, crlfDelay: Infinity }).on("line", (line) => {
  if (!line.trim()) return;
  let msg, body, kind;
  try {
    msg = parse(line);
    body = msg.get("body");
    kind = body.get("type");
    if (typeof kind !== "string") throw new TypeError("body.type is not a string");
  } catch (e) {
    process.stderr.write(`skipped a line that is not a message: ${e.message}\n`);
    return;
  }
  let fields;
  try {
    [kind, fields] = handle(kind, body);
  } catch (e) {
    [kind, fields] = ["error", [["code", 12n], ["text", e.message]]];
  }
  const reply = new Map([["type", kind]]);
  const msgId = body.get("msg_id");
  if (msgId !== undefined && msgId !== null) reply.set("in_reply_to", msgId);
  for (const [k, v] of fields) reply.set(k, v);
  reply.set("msg_id", sent++);
  const src = nodeId !== null && nodeId !== undefined ? nodeId : msg.get("dest");
  const out = new Map([["src", src], ["dest", msg.get("src")], ["body", reply]]);
  process.stdout.write(dumps(out) + "\n"); // pipes are written synchronously on Linux
});

#!/usr/bin/env python3
"""A single-decree Paxos acceptor on stdin/stdout, in memory (PROTOCOL.md, "The acceptor").

One JSON message per line in, one reply per line out. It promises a proposal number
only above every number it promised before, votes for a number at or above its promise,
and reports its latest vote in every promise. Its state lives in memory: restarted, it
has forgotten its promises and votes, which is unsafe (durable_acceptor.py is not).
"""
import json
import sys


class Acceptor:
    def __init__(self):
        self.promised = None  # the highest proposal_n promised, or None
        self.accepted_n = None  # the latest vote's proposal_n, or None
        self.accepted_value = None  # the latest vote's value

    def prepare(self, n):
        if self.promised is None or n > self.promised:
            self.promised = n
            return {"promised": True, "accepted_n": self.accepted_n,
                    "accepted_value": self.accepted_value}
        return {"promised": False, "highest_promised": self.promised}

    def accept(self, n, value):
        if self.promised is None or n >= self.promised:
            self.promised = n
            self.accepted_n, self.accepted_value = n, value
            return {"accepted": True, "proposal_n": n, "value": value}
        return {"accepted": False, "highest_promised": self.promised}

    def chosen(self):
        return {"value": self.accepted_value, "chosen_at_n": self.accepted_n}

    def persist(self):
        """Called before each reply; nothing to do for an acceptor in memory."""


def proposal_n(body):
    n = body.get("proposal_n")
    if type(n) is not int or n < 0:
        raise ValueError("field 'proposal_n' must be an integer >= 0")
    return n


def handle(acceptor, kind, body):
    if kind == "init":
        return "init_ok", {}
    if kind == "paxos_prepare":
        return "paxos_promise", acceptor.prepare(proposal_n(body))
    if kind == "paxos_accept":
        if "value" not in body:
            raise ValueError("field 'value' is missing")
        return "paxos_accepted", acceptor.accept(proposal_n(body), body["value"])
    if kind == "paxos_chosen":
        return "paxos_chosen_ok", acceptor.chosen()
    return "error", {"code": 10, "text": 'unsupported message type "%s"' % kind}


def serve(acceptor):
    node_id, sent = None, 0
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            msg = json.loads(line)
            body = msg["body"]
            kind = body["type"]
        except (ValueError, KeyError, TypeError) as e:
            print("skipped a line that is not a message: %r" % e, file=sys.stderr)
            continue
        if kind == "init":
            node_id = body.get("node_id")
        try:
            kind, fields = handle(acceptor, kind, body)
        except ValueError as e:
            kind, fields = "error", {"code": 12, "text": str(e)}
        acceptor.persist()  # the state is on disk before anyone hears of it
        reply = {"type": kind}
        if body.get("msg_id") is not None:
            reply["in_reply_to"] = body["msg_id"]
        reply.update(fields)
        reply["msg_id"] = sent
        sent += 1
        src = node_id if node_id is not None else msg.get("dest")
        print(json.dumps({"src": src, "dest": msg.get("src"), "body": reply}), flush=True)


if __name__ == "__main__":
    serve(Acceptor())

#!/usr/bin/env python3
"""BROKEN on purpose, in the wire protocol rather than in Paxos: after a correct init it
answers requests in the way named by its argument, so the harness's acceptor-protocol
findings can be tested.

  garbage         a line that is not JSON
  wrong-reply-to  a well-formed reply to another msg_id
  two-lines       every reply written twice
  stray-late      a debug line 0.1 s after each reply, read as the next request's answer
  refuse-low      refuses every prepare, naming a highest_promised below it
  refuse-accept   promises as the table says, refuses every accept naming its own proposal_n
  refuse-unsent   refuses every prepare, naming a highest_promised nobody sent (2^64 - 1)
  refuse-echo     a correct acceptor, except that a refusal names the request's proposal_n
                  as its highest_promised (below the promise it made)
  wrong-type      answers a prepare with a paxos_accepted
  silent          no reply at all
  exit            exits with status 3 at the first request
"""
import json
import sys
import time

mode = sys.argv[1]
highest = None
for line in sys.stdin:
    body = json.loads(line)["body"]
    if body["type"] == "init":
        reply = {"type": "init_ok", "in_reply_to": body["msg_id"]}
    elif mode == "exit":
        sys.exit(3)
    elif mode == "silent":
        continue
    elif mode == "garbage":
        print("this is not json", flush=True)
        continue
    else:
        reply = {"type": "paxos_promise", "promised": True, "accepted_n": None,
                 "accepted_value": None, "in_reply_to": body["msg_id"]}
        if body["type"] == "paxos_accept":
            reply = {"type": "paxos_accepted", "accepted": True,
                     "proposal_n": body["proposal_n"], "value": body["value"],
                     "in_reply_to": body["msg_id"]}
        if mode == "wrong-type" and body["type"] == "paxos_prepare":
            reply["type"] = "paxos_accepted"
        if mode == "wrong-reply-to":
            reply["in_reply_to"] = body["msg_id"] + 100
        if mode == "refuse-low" and body["type"] == "paxos_prepare":
            reply = {"type": "paxos_promise", "promised": False,
                     "highest_promised": body["proposal_n"] - 1, "in_reply_to": body["msg_id"]}
        if mode == "refuse-unsent" and body["type"] == "paxos_prepare":
            reply = {"type": "paxos_promise", "promised": False,
                     "highest_promised": 2**64 - 1, "in_reply_to": body["msg_id"]}
        if mode == "refuse-echo":
            n = body["proposal_n"]
            if body["type"] == "paxos_prepare" and highest is not None and n <= highest:
                reply = {"type": "paxos_promise", "promised": False,
                         "highest_promised": n, "in_reply_to": body["msg_id"]}
            elif body["type"] == "paxos_accept" and highest is not None and n < highest:
                reply = {"type": "paxos_accepted", "accepted": False,
                         "highest_promised": highest, "in_reply_to": body["msg_id"]}
            else:
                highest = n
        if mode == "refuse-accept" and body["type"] == "paxos_prepare":
            if highest is not None and body["proposal_n"] <= highest:
                reply = {"type": "paxos_promise", "promised": False,
                         "highest_promised": highest, "in_reply_to": body["msg_id"]}
            else:
                highest = body["proposal_n"]
        if mode == "refuse-accept" and body["type"] == "paxos_accept":
            reply = {"type": "paxos_accepted", "accepted": False,
                     "highest_promised": body["proposal_n"], "in_reply_to": body["msg_id"]}
    text = json.dumps({"src": "a", "dest": "c1", "body": reply})
    print(text, flush=True)
    if mode == "two-lines" and body["type"] != "init":
        print(text, flush=True)
    if mode == "stray-late" and body["type"] != "init":
        time.sleep(0.1)
        stray = {"type": "debug", "in_reply_to": body["msg_id"]}
        print(json.dumps({"src": "a", "dest": "c1", "body": stray}), flush=True)

#!/usr/bin/env python3
"""BUGGY on purpose: a promise never reports the acceptor's vote.

Phase 1 exists to learn which value may already be chosen; with no vote reported, a new
proposer believes it is free to propose its own value and can overwrite a chosen one.
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ left in the examples directory
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "acceptors"))
from acceptor import Acceptor, serve  # noqa: E402


class ReportsNoVote(Acceptor):
    def prepare(self, n):
        reply = super().prepare(n)
        if reply["promised"]:
            # The deviation: the vote is kept but never told.
            reply["accepted_n"], reply["accepted_value"] = None, None
        return reply


if __name__ == "__main__":
    serve(ReportsNoVote())

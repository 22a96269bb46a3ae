#!/usr/bin/env python3
"""BUGGY on purpose: a promise reports the acceptor's first vote instead of its latest.

A proposer adopts the value of the highest vote its promises report; an acceptor that
hides its later votes behind its first one can make it adopt a value older than the one
that was chosen.
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ left in the examples directory
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "acceptors"))
from acceptor import Acceptor, serve  # noqa: E402


class ReportsFirstVote(Acceptor):
    def __init__(self):
        super().__init__()
        self.first = None  # (proposal_n, value) of the first vote

    def accept(self, n, value):
        reply = super().accept(n, value)
        if reply["accepted"] and self.first is None:
            self.first = (n, value)
        return reply

    def prepare(self, n):
        reply = super().prepare(n)
        if reply["promised"] and self.first is not None:
            # The deviation: the first vote, not the latest (accepted_n, accepted_value).
            reply["accepted_n"], reply["accepted_value"] = self.first
        return reply


if __name__ == "__main__":
    serve(ReportsFirstVote())

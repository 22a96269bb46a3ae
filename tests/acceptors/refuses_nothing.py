#!/usr/bin/env python3
"""BUGGY on purpose: promises and accepts everything, whatever it promised before.

Without refusals a promise binds nothing: two proposers with different ballots both get
the same acceptors' promises and votes, and both can see their value chosen.
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ left in the examples directory
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "acceptors"))
from acceptor import Acceptor, serve  # noqa: E402


class RefusesNothing(Acceptor):
    # The deviation: neither method compares with self.promised before saying yes.
    def prepare(self, n):
        self.promised = n
        return {"promised": True, "accepted_n": self.accepted_n,
                "accepted_value": self.accepted_value}

    def accept(self, n, value):
        self.promised = n
        self.accepted_n, self.accepted_value = n, value
        return {"accepted": True, "proposal_n": n, "value": value}


if __name__ == "__main__":
    serve(RefusesNothing())

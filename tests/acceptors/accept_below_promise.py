#!/usr/bin/env python3
"""BUGGY on purpose: votes without checking its promise (the zoo's accept-below-promise).

A harness must catch it: after promising 5 it still votes for 3, so a proposer with a
lower ballot can overwrite a vote that a higher ballot's phase 1 already relied on.
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ left in the examples directory
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "acceptors"))
from acceptor import Acceptor, serve  # noqa: E402


class AcceptBelowPromise(Acceptor):
    def accept(self, n, value):
        # The deviation: no `n >= self.promised` check; the promise still only goes up.
        self.promised = n if self.promised is None else max(self.promised, n)
        self.accepted_n, self.accepted_value = n, value
        return {"accepted": True, "proposal_n": n, "value": value}


if __name__ == "__main__":
    serve(AcceptBelowPromise())

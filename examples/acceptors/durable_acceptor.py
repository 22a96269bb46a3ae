#!/usr/bin/env python3
"""The acceptor of acceptor.py, with its promise and vote on disk: it survives a restart.

An acceptor that forgets its promise or its vote after a crash can let two values be
chosen: it may promise a lower ballot again, or report no vote where a value was chosen.
So the state goes to `acceptor.json` in the directory named by PAXOS_DATA_DIR before any
reply that depends on it leaves the process: written to a temporary file, flushed to
disk (fsync), renamed over the old file (atomic: a crash leaves the old state or the new
one, never half of one), and the directory fsync'ed so that the rename itself is durable.
At start the acceptor loads the file if there is one.
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # importing acceptor.py leaves no __pycache__ behind
from acceptor import Acceptor, serve  # noqa: E402

STATE_FILE = "acceptor.json"


class DurableAcceptor(Acceptor):
    def __init__(self, directory):
        super().__init__()
        self.directory = directory
        self.path = os.path.join(directory, STATE_FILE)
        # The state as last written (no file: the empty state), to skip writes that
        # change nothing, such as the one after `init`.
        self.saved = self.state_text()
        if os.path.exists(self.path):
            with open(self.path) as f:
                self.saved = f.read()
            state = json.loads(self.saved)
            self.promised = state["promised"]
            self.accepted_n = state["accepted_n"]
            self.accepted_value = state["accepted_value"]

    def state_text(self):
        return json.dumps({"promised": self.promised, "accepted_n": self.accepted_n,
                           "accepted_value": self.accepted_value})

    def persist(self):
        text = self.state_text()
        if text == self.saved:
            return
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, self.path)
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        self.saved = text


if __name__ == "__main__":
    directory = os.environ.get("PAXOS_DATA_DIR")
    if not directory:
        sys.exit("durable_acceptor.py: set PAXOS_DATA_DIR to a directory for its state")
    serve(DurableAcceptor(directory))

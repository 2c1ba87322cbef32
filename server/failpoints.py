"""Failpoints: named places where a crash test can kill the server process outright.

A test starts a server with WILDLEDGER_FAILPOINTS=name[,name…]; when the code reaches
`hit(name)` the process dies by SIGKILL — no exception handler, no `finally`, no response,
exactly like a power cut or the OOM killer. The PWA's crash tests use this to prove that a
record committed to the ledger but never answered is neither lost nor filed twice.
Test-only: unset in deployment, and then a hit costs one environment lookup.
"""
import os
import signal

ENV = "WILDLEDGER_FAILPOINTS"


def active(name):
    # Read at every call, not at import, so a test can arm a failpoint for a child process.
    return name in os.environ.get(ENV, "").replace(" ", "").split(",")


def hit(name):
    if active(name):
        os.kill(os.getpid(), signal.SIGKILL)

#!/usr/bin/env python3
"""Runs a StatusNotifierWatcher with a host registered on the session bus, as a desktop panel
does, until SIGTERM or SIGINT: while it runs, the session has a tray. Prints `ready` once it
owns the watcher's name.

    tests/e2e/.venv/bin/python tests/e2e/watcher.py &
"""

import signal

from tray import Watcher

STOP = {signal.SIGTERM, signal.SIGINT}

if __name__ == "__main__":
    # Blocked before the watcher's thread starts, so that only sigwait below takes them.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP)
    with Watcher():
        print("ready", flush=True)
        signal.sigwait(STOP)

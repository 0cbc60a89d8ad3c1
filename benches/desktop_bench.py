#!/usr/bin/env python3
"""Launch time and idle memory of desktop apps, measured the same way for each.

Launch time: from starting the process to the line "the window is ready" on its stderr, which
the app writes once its page has painted its first screen (Tokentray: the connection list).
Idle memory: after the app has sat idle for a while, the proportional set size (PSS: shared
pages split between the processes that share them) and the resident set size (RSS) summed over
the app's process and every process it started (WebKit's web and network processes).

Profile (separate launches, so the log lines cost the measured runs nothing): the stages of
each app's start as the median time since its process started. Tokentray logs them at debug
level under `tokentray_desktop::startup` (Tauri builder, window created, setup done, page
requested and loaded, the UI's script start, list rendered and painted); the minimal app logs
the stages it shares under the same names (window created, page requested/received, document
parsed, script started, painted), so the two columns show where the gap is.

Runs alternate between the apps so that a busy moment of the machine hits both. Each app gets
its own throw-away HOME, kept for all its runs (so every measured launch is a second launch:
caches and window state exist, as on a person's machine), and one unmeasured warm-up launch.

    desktop_bench.py --app tokentray=PATH --app minimal=PATH [--runs 10] [--idle-runs 3]
                     [--idle 15] [--profile-runs 5] [--prepare tokentray=COMMAND] [--json OUT]

Run it under a display (xvfb-run) and, for Tokentray, a keychain (with-keyring.sh):
benches/desktop.sh does both.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

READY = "the window is ready"
STAGE = re.compile(r'stage="([^"]+)" ms=([0-9.eE+-]+)')


def descendants(root: int) -> list[int]:
    """`root` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces and parentheses: the fields start after the last ')'.
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def memory(root: int) -> dict:
    """PSS and RSS (KiB) summed over `root`'s process tree, and the processes counted."""
    pss = rss = 0
    names = []
    for pid in descendants(root):
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        for line in rollup.splitlines():
            key, _, rest = line.partition(":")
            if key == "Pss":
                pss += int(rest.split()[0])
            elif key == "Rss":
                rss += int(rest.split()[0])
        names.append(name)
    return {"pss_kib": pss, "rss_kib": rss, "processes": sorted(names)}


class Launch:
    """One run of an app: started, waited for until ready, then stopped."""

    def __init__(self, command: list[str], env: dict[str, str], timeout: float):
        self.ready = threading.Event()
        self.log: list[str] = []
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        self.ready_at: float | None = None
        threading.Thread(target=self._read, daemon=True).start()
        if not self.ready.wait(timeout):
            self.stop()
            tail = "".join(self.log[-20:])
            raise SystemExit(f"{command[0]} did not report a ready window in {timeout} s:\n{tail}")

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            if self.ready_at is None and READY in line:
                self.ready_at = time.monotonic()
                self.ready.set()
            self.log.append(line)

    @property
    def seconds(self) -> float:
        assert self.ready_at is not None
        return self.ready_at - self.started

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def environment(home: Path, log: str = "warn,tokentray_desktop=info") -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        TOKENTRAY_HOME=str(home / "tokentray"),
        TOKENTRAY_LOG=log,
        NO_COLOR="1",
        NO_AT_BRIDGE="1",
    )
    return env


def stages(log: list[str]) -> dict[str, float]:
    """The startup stages in an app's log: name -> milliseconds since the process started."""
    found: dict[str, float] = {}
    for line in log:
        match = STAGE.search(line)
        if match and match.group(1) not in found:
            found[match.group(1)] = float(match.group(2))
    return found


def summary(values: list[float]) -> dict:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": len(values),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", action="append", required=True, metavar="NAME=PATH")
    parser.add_argument("--prepare", action="append", default=[], metavar="NAME=COMMAND")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--idle-runs", type=int, default=3)
    parser.add_argument("--idle", type=float, default=15.0, help="seconds idle before memory")
    parser.add_argument("--profile-runs", type=int, default=5, help="profiled launches per app")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    apps = dict(item.split("=", 1) for item in args.app)
    prepare = dict(item.split("=", 1) for item in args.prepare)
    scratch = Path(tempfile.mkdtemp(prefix="tokentray-desktop-bench."))
    try:
        return measure(args, apps, prepare, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def measure(args: argparse.Namespace, apps: dict, prepare: dict, scratch: Path) -> int:
    homes = {name: scratch / name for name in apps}
    for name, home in homes.items():
        home.mkdir(mode=0o700)
        if name in prepare:
            subprocess.run(prepare[name], shell=True, check=True, env=environment(home))
        Launch([apps[name]], environment(home), args.timeout).stop()  # warm-up

    launch: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(args.runs):
        for name, path in apps.items():
            run = Launch([path], environment(homes[name]), args.timeout)
            launch[name].append(run.seconds)
            run.stop()

    idle: dict[str, list[dict]] = {name: [] for name in apps}
    for _ in range(args.idle_runs):
        for name, path in apps.items():
            run = Launch([path], environment(homes[name]), args.timeout)
            # A benchmark, not a test: it waits on purpose, for the app to settle.
            time.sleep(args.idle)
            idle[name].append(memory(run.process.pid))
            run.stop()

    profile = profile_start(args, apps, homes)

    result = {
        name: {
            "launch_to_ready_s": summary(launch[name]),
            "idle_pss_mib": summary([m["pss_kib"] / 1024 for m in idle[name]]),
            "idle_rss_mib": summary([m["rss_kib"] / 1024 for m in idle[name]]),
            "processes": idle[name][-1]["processes"] if idle[name] else [],
        }
        for name in apps
    }
    for name, stages_ms in profile.items():
        result[name]["startup_stages_ms"] = stages_ms
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")

    print(f"| app | launch to ready window, median (min–max) over {args.runs} | "
          f"idle PSS, all processes | idle RSS, all processes | processes |")
    print("|---|---|---|---|---|")
    for name, r in result.items():
        t, p, s = r["launch_to_ready_s"], r["idle_pss_mib"], r["idle_rss_mib"]
        print(
            f"| {name} | {t['median'] * 1000:.0f} ms ({t['min'] * 1000:.0f}–{t['max'] * 1000:.0f})"
            f" | {p['median']:.0f} MiB ({p['min']:.0f}–{p['max']:.0f})"
            f" | {s['median']:.0f} MiB ({s['min']:.0f}–{s['max']:.0f})"
            f" | {len(r['processes'])}: {', '.join(r['processes'])} |"
        )
    if profile:
        names = list(profile)
        print(f"\n| start, stage: ms since process start, median (min–max) over "
              f"{args.profile_runs} | {' | '.join(names)} |")
        print("|---|" + "---|" * len(names))
        order = {}
        for stages_ms in profile.values():
            for stage, t in stages_ms.items():
                order.setdefault(stage, t["median"])
        for stage in sorted(order, key=order.get):
            cells = []
            for name in names:
                t = profile[name].get(stage)
                cells.append(f"{t['median']:.0f} ({t['min']:.0f}–{t['max']:.0f})" if t else "")
            print(f"| {stage} | {' | '.join(cells)} |")
    return 0


def profile_start(args: argparse.Namespace, apps: dict, homes: dict) -> dict:
    """Median time of each startup stage over separate, profiled launches of every app (each
    logs its stages in the same format: Tokentray with its startup marks on, the minimal app
    always): name -> stage -> summary."""
    if args.profile_runs <= 0:
        return {}
    log = "warn,tokentray_desktop=info,tokentray_desktop::startup=debug"
    profiles = {}
    for name, path in apps.items():
        runs: list[dict[str, float]] = []
        for _ in range(args.profile_runs):
            run = Launch([path], environment(homes[name], log), args.timeout)
            run.stop()
            runs.append(stages(run.log))
        names = sorted({n for r in runs for n in r}, key=lambda n: statistics.median(
            [r[n] for r in runs if n in r]))
        if names:
            profiles[name] = {n: summary([r[n] for r in runs if n in r]) for n in names}
    return profiles


if __name__ == "__main__":
    sys.exit(main())

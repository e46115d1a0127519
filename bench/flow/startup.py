#!/usr/bin/env python3
"""Start-up of short commands, measured interleaved so that load from other work hits all of them alike.

    bench/flow/startup.py [--runs N] [--prepare 'SHELL'] NAME='COMMAND' [NAME='COMMAND' ...]

Runs the commands round-robin N times each (default 40, after one warm-up round) with no shell in between, and
reads each process's CPU time (user + sys, children included) from wait4. --prepare runs a shell command before
every run of every command (e.g. copying a fresh repository for a finish); it is not timed. Prints one Markdown
row per command: median CPU ms (minimum), median wall ms (minimum).
"""
import os
import shlex
import statistics
import subprocess
import sys
import time


def main() -> None:
    args = sys.argv[1:]
    runs, prepare, commands = 40, None, []
    while args:
        a = args.pop(0)
        if a == "--runs":
            runs = int(args.pop(0))
        elif a == "--prepare":
            prepare = args.pop(0)
        else:
            name, _, command = a.partition("=")
            commands.append((name, shlex.split(command)))
    if not commands:
        sys.exit(__doc__)
    cpu = {n: [] for n, _ in commands}
    wall = {n: [] for n, _ in commands}
    for i in range(runs + 1):
        for name, argv in commands:
            if prepare:
                subprocess.run(prepare, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            start = time.perf_counter()
            pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[
                (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
                (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0)])
            _, status, usage = os.wait4(pid, 0)
            elapsed = time.perf_counter() - start
            if os.waitstatus_to_exitcode(status) != 0:
                sys.exit(f"{name}: {shlex.join(argv)} exited {os.waitstatus_to_exitcode(status)}")
            if i == 0:
                continue  # warm-up: page cache, first-run caches
            cpu[name].append((usage.ru_utime + usage.ru_stime) * 1000)
            wall[name].append(elapsed * 1000)
    print(f"| command | CPU ms, median (min) | wall ms, median (min) |  ({runs} runs each, interleaved; load {os.getloadavg()[0]:.1f})")
    print("|---|---:|---:|")
    for name, _ in commands:
        print(f"| {name} | {statistics.median(cpu[name]):.0f} ({min(cpu[name]):.0f}) | {statistics.median(wall[name]):.0f} ({min(wall[name]):.0f}) |")


if __name__ == "__main__":
    main()

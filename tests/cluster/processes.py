"""The cluster's processes: free ports, polling with a deadline, and servers started and killed by process group."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from typing import Callable, TypeVar

T = TypeVar("T")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(probe: Callable[[], T], timeout: float, what: str, every: float = 0.05) -> T:
    """Poll probe() until it returns something true, or fail naming what never came."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = probe()
        except OSError:  # not listening yet, connection reset while starting
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


class Service:
    """One command run in a session of its own, logging to a file, stopped with its whole group."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: str,
                 cwd: str | None = None) -> None:
        self.name, self.argv, self.env, self.cwd = name, argv, env, cwd
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.proc: subprocess.Popen | None = None

    def start(self) -> Service:
        """Start (or start again) the command; its output goes to the end of its log."""
        with open(self.log_path, "ab") as log:
            # A session of its own, so one killpg reaches every process it forks (gunicorn's
            # workers, nginx's, the job worker's children).
            self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 30.0) -> None:
        """Signal the whole process group and wait until every process of it is gone."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.proc.wait(timeout=timeout)
        # gunicorn's workers outlive their master by a moment after a SIGKILL of the group.
        wait_until(lambda: not group_members(pgid), timeout, f"{self.name}'s processes to end")

    def log_tail(self, lines: int = 40) -> str:
        """The end of the service's log, for a failure message."""
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as fh:
                return "".join(fh.readlines()[-lines:])
        except FileNotFoundError:
            return ""


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes in a process group."""
    return [pid for pid, stat in _proc_stats() if stat[2] != "Z" and int(stat[4]) == pgid]


def marked_processes(marker: str) -> list[int]:
    """Live processes whose environment holds marker: those that left their group (setsid) too."""
    wanted = marker.encode()
    found = []
    for pid, stat in _proc_stats():
        if stat[2] == "Z" or pid == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                if wanted in fh.read().split(b"\0"):
                    found.append(pid)
        except OSError:
            continue
    return found


def kill_marked(marker: str) -> None:
    """SIGKILL every process carrying marker (RQ runs each job in a session of its own)."""
    for pid in marked_processes(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    wait_until(lambda: not marked_processes(marker), 30, "marked processes to end")


def _proc_stats() -> list[tuple[int, list[str]]]:
    """(pid, fields of /proc/pid/stat with the command name cut out) of every process."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as fh:
                raw = fh.read()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
        head, _, rest = raw.rpartition(")")
        fields = [head.split(" (", 1)[0], "comm", *rest.split()]
        out.append((int(name), fields))
    return out

"""What the page and scale benchmarks share: gunicorn on 127.0.0.1, GETs, the editor's log-in, a load loop."""
from __future__ import annotations

import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port: int, path: str, cookie: str = "", timeout: float = 30) -> tuple[int, int]:
    """One GET on a fresh connection (gunicorn's sync workers close after each response): status, bytes."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        body = response.read()
        return response.status, len(body)
    finally:
        conn.close()


def wait_ready(port: int, deadline: float) -> None:
    """Poll /healthz until gunicorn answers."""
    while time.monotonic() < deadline:
        try:
            if fetch(port, "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def serve(env: dict[str, str], workers: int, timeout: int | None = None,
          ready_within: float = 30) -> tuple[subprocess.Popen, int]:
    """gunicorn (wsgi:app) on a free port with these settings, once it answers; (process, port)."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    if timeout is not None:
        command += ["--timeout", str(timeout)]
    server = subprocess.Popen(command + ["--log-level", "warning", "wsgi:app"],
                              cwd=ROOT, env={**os.environ, **env})
    try:
        wait_ready(port, time.monotonic() + ready_within)
    except BaseException:
        stop(server)
        raise
    return server, port


def stop(server: subprocess.Popen, timeout: float = 30) -> None:
    """Stop a gunicorn started by serve() and wait for it."""
    server.terminate()
    server.wait(timeout=timeout)


def log_in(port: int, email: str, password: str) -> str:
    """The session cookie of a user logged in through the login form (CSRF included)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie", "").split(";")[0]
    conn.close()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": password})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/login", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    response = conn.getresponse()
    response.read()
    session = response.getheader("Set-Cookie", "").split(";")[0]
    conn.close()
    if response.status != 302 or not session:
        raise SystemExit(f"could not log in {email} ({response.status})")
    return session


def load(port: int, path: str, requests: int, concurrency: int, seconds: float, cookie: str = "") -> dict:
    """Fire `requests` GETs from `concurrency` threads, stopping at the time cap."""
    size = 0
    for _ in range(10):  # warm up both workers' caches
        size = fetch(port, path, cookie)[1]
    latencies: list[float] = []
    errors = []
    lock = threading.Lock()
    counter = iter(range(requests))
    stop_at = time.monotonic() + seconds

    def worker():
        while time.monotonic() < stop_at:
            with lock:
                if next(counter, None) is None:
                    return
            t0 = time.perf_counter()
            status, _ = fetch(port, path, cookie)
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    errors.append(status)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {"path": path, "n": len(latencies), "rps": len(latencies) / wall,
            "p50": statistics.median(latencies) * 1000,
            "p95": latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))] * 1000,
            "errors": len(errors), "kb": size / 1024}

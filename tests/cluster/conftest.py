"""The cluster on 127.0.0.1: a fresh PostgreSQL database, Redis, shared storage, two gunicorn app
servers, one `gallery worker` and nginx in front; everything stopped (process groups killed) and
the database dropped on teardown, also when a step fails.

The two switches below are the one place where the deployment of issue 14 turns on: S3 storage on
moto's server instead of a shared directory, and an index per server fed by `gallery search-sync`
instead of one index directory the servers share. Each turns on by itself once its branch is
merged (its setting exists in gallery/config.py); GALLERY_CLUSTER_S3 / GALLERY_CLUSTER_SEARCH_SYNC
= 0 or 1 force either way.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gallery import config as default_config
from tests.cluster import nginx, s3
from tests.cluster.client import Client
from tests.cluster.processes import Service, free_port, kill_marked, wait_until


def _switch(name: str, detected: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return detected if not value else value in ("1", "true", "yes", "on")


CLUSTER_S3 = _switch("GALLERY_CLUSTER_S3", hasattr(default_config, "STORAGE_URL"))
SEARCH_SYNC = _switch("GALLERY_CLUSTER_SEARCH_SYNC", hasattr(default_config, "SEARCH_WRITER"))

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GALLERY = os.path.join(os.path.dirname(sys.executable), "gallery")
# The PostgreSQL server (already running); the run gets a database of its own on it.
POSTGRES = os.environ.get("GALLERY_CLUSTER_POSTGRES",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@cluster.example.org", "cluster horse battery staple"
START_TIMEOUT = 60  # seconds a service gets to answer its first request


@dataclass
class AppServer:
    """One app server: gunicorn (and, with per-server indexes, its `gallery search-sync`)."""

    name: str
    port: int
    env: dict[str, str]
    services: list[Service]

    def client(self, **kwargs) -> Client:
        return Client(self.port, **kwargs)

    def start(self) -> None:
        for s in self.services:
            s.start()

    def kill(self) -> None:
        """kill -9 every process of the server, and wait until they are all gone."""
        for s in self.services:
            s.kill(signal.SIGKILL)

    def wait_ready(self) -> None:
        """Poll /healthz (and /readyz where it exists: the local index is there and current)."""
        paths = ["/healthz", "/readyz"] if SEARCH_SYNC else ["/healthz"]
        for path in paths:
            wait_until(lambda p=path: self._answers(p), START_TIMEOUT, f"{self.name} {path}")

    def _answers(self, path: str) -> bool:
        for s in self.services:
            assert s.running, f"{s.name} stopped:\n{s.log_tail()}"
        return self.client(timeout=5).get(path).status == 200


@dataclass
class Cluster:
    """Everything the test talks to, and how to run `gallery` commands as an operator would."""

    tmp: str
    database_url: str
    servers: dict[str, AppServer]
    nginx_port: int
    nginx_prefix: str
    worker: Service
    token: str = ""
    bucket: s3.Bucket | None = None
    upload_dir: str | None = None  # the shared directory when storage is local
    env: dict[str, str] = field(default_factory=dict)

    def lb(self, **kwargs) -> Client:
        """A client of nginx, the load balancer."""
        return Client(self.nginx_port, **kwargs)

    def gallery(self, *args: str, server: str = "a", stdin: str | None = None,
                check: bool = True) -> subprocess.CompletedProcess:
        """Run a `gallery` command with one server's settings."""
        env = self.servers[server].env if server in self.servers else self.env
        done = subprocess.run([GALLERY, *args], env=env, cwd=ROOT, input=stdin, text=True,
                              capture_output=True, timeout=180)
        if check:
            assert done.returncode == 0, f"gallery {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done

    def stored_keys(self) -> set[str]:
        """Every stored file (originals, renditions, served copies), as storage keys."""
        if self.bucket is not None:
            return self.bucket.keys()
        found = set()
        for folder in ("originals", "renditions", "served"):
            for current, _dirs, files in os.walk(os.path.join(self.upload_dir, folder)):
                found.update(os.path.relpath(os.path.join(current, n), self.upload_dir) for n in files)
        return found


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Start the whole cluster, yield it, and stop every process and drop the database after."""
    tmp = str(tmp_path_factory.mktemp("cluster"))
    run_id = uuid.uuid4().hex
    # Children get the settings below and nothing else of ours (no GALLERY_* of the test run);
    # the marker finds every process of this run at the end, those that left their group too.
    base = {k: v for k, v in os.environ.items() if not k.startswith("GALLERY_")}
    base["CLUSTER_RUN"] = run_id
    marker = f"CLUSTER_RUN={run_id}"
    started: list[Service] = []
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    db_name = f"gallery_cluster_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db_name}"'))
        database_url = make_url(POSTGRES).set(database=db_name).render_as_string(hide_password=False)

        redis_port = free_port()
        redis = Service("redis", ["redis-server", "--bind", "127.0.0.1", "--port", str(redis_port),
                                  "--save", "", "--appendonly", "no", "--dir", tmp], base, tmp)
        started.append(redis.start())
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        wait_until(lambda: _redis_answers(redis_url), START_TIMEOUT, "redis-server")

        common = {**base,
                  "GALLERY_DATABASE_URL": database_url,
                  "GALLERY_SECRET_KEY": uuid.uuid4().hex,  # one key: sessions work on every server
                  "GALLERY_REDIS_URL": redis_url,  # web processes only enqueue
                  "GALLERY_RATELIMIT_REDIS_URL": redis_url,
                  "GALLERY_TRUSTED_PROXIES": "1",
                  "GALLERY_JOB_SWEEP_SECONDS": "2",
                  # Work queued by a request killed between its commit and its enqueue is swept
                  # up once the lease is over: short here, so the run sees it done.
                  "GALLERY_JOB_LEASE_SECONDS": "20"}
        bucket = upload_dir = None
        if CLUSTER_S3:
            bucket = s3.start(tmp, {**base, **s3.CREDENTIALS})
            started.append(bucket.service)
            common.update(s3.CREDENTIALS, GALLERY_STORAGE_URL=bucket.storage_url,
                          GALLERY_S3_ENDPOINT_URL=bucket.endpoint, GALLERY_S3_REGION=s3.REGION)
        else:
            upload_dir = os.path.join(tmp, "storage")
            common["GALLERY_UPLOAD_DIR"] = upload_dir
        shared_index = os.path.join(tmp, "search_index")

        def node(name: str) -> dict[str, str]:
            """The settings of one machine of the cluster: its own instance dir, index, temp files."""
            env = {**common, "GALLERY_INSTANCE_PATH": os.path.join(tmp, name, "instance")}
            if CLUSTER_S3:
                env["GALLERY_UPLOAD_DIR"] = os.path.join(tmp, name, "uploads")  # temp files only
            if SEARCH_SYNC:
                env.update(GALLERY_SEARCH_WRITER="sync", GALLERY_SEARCH_SERVER_NAME=name,
                           GALLERY_SEARCH_INDEX_DIR=os.path.join(tmp, name, "search_index"))
            else:
                env["GALLERY_SEARCH_INDEX_DIR"] = shared_index
            return env

        servers = {}
        for name in ("a", "b"):
            env = node(name)
            port = free_port()
            services = [Service(f"gunicorn-{name}", [
                sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
                "--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning", "wsgi:app"],
                env, tmp, cwd=ROOT)]
            if SEARCH_SYNC:
                services.append(Service(f"search-sync-{name}", [GALLERY, "search-sync", "--interval", "0.5"],
                                        env, tmp, cwd=ROOT))
            servers[name] = AppServer(name, port, env, services)
        worker = Service("worker", [GALLERY, "worker", "--concurrency", "2"], node("worker"), tmp, cwd=ROOT)
        lb_port = free_port()
        lb_prefix = os.path.join(tmp, "nginx")
        lb = nginx.service(lb_prefix, lb_port, [s.port for s in servers.values()], base)
        c = Cluster(tmp, database_url, servers, lb_port, lb_prefix, worker, bucket=bucket,
                    upload_dir=upload_dir, env=node("cli"))

        # The operator's first steps: migrate and seed, an admin, an API token for the scripts.
        c.gallery("init")
        c.gallery("create-user", ADMIN_EMAIL, "--role", "admin", "--name", "Cluster Admin",
                  "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
        c.token = c.gallery("create-token", ADMIN_EMAIL, "--name", "cluster load").stdout.strip()

        for server in servers.values():
            started.extend(server.services)
            server.start()
        started.append(worker.start())
        started.append(lb.start())
        for server in servers.values():
            server.wait_ready()
        wait_until(lambda: lb.running and c.lb(timeout=5).get("/healthz").status == 200,
                   START_TIMEOUT, f"nginx on {lb_port}")
        yield c
    finally:
        for service in reversed(started):
            service.kill(signal.SIGKILL)
        kill_marked(marker)  # job processes RQ started in sessions of their own
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()


def _redis_answers(url: str) -> bool:
    conn = Redis.from_url(url, socket_timeout=2)
    try:
        return bool(conn.ping())
    except RedisConnectionError:
        return False
    finally:
        conn.close()

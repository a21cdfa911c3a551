"""X-Accel-Redirect through a real nginx: the app says yes and logs, nginx sends the file and its ranges."""
from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import threading
import time

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from gallery.extensions import db
from gallery.models import DownloadEvent
from gallery.services import served, storage, terms
from tests.s3_server import free_port

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx)")

CONF = """
daemon off;
worker_processes 1;
{user}
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location /_protected/ {{
            internal;
            alias {root}/;
        }}
        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            proxy_set_header Host $host;
        }}
    }}
}}
"""


@pytest.fixture
def app_settings() -> dict:
    return {"SERVE_FILES_WITH": "x-accel-redirect"}


@pytest.fixture
def front(app, tmp_path):
    """The app on a WSGI server in a thread, behind nginx on a free port; both stopped after."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    folder = tmp_path / "nginx"
    folder.mkdir()
    port = free_port()
    user = "user root;" if os.geteuid() == 0 else ""  # the pytest temp dirs are the owner's only
    os.makedirs(storage.root(), exist_ok=True)
    (folder / "nginx.conf").write_text(CONF.format(user=user, dir=folder, port=port, root=storage.root(),
                                                   app_port=server.server_port))
    proc = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"),
                             "-e", str(folder / "error.log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((folder / "error.log").read_text()) from None
                time.sleep(0.05)  # polling for nginx to listen
        yield port
    finally:
        proc.terminate()
        proc.wait(10)
        server.shutdown()
        thread.join(10)


def get(port: int, path: str, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def session_cookie(app, user) -> str:
    value = app.session_interface.get_signing_serializer(app).dumps({"_user_id": user.get_id(), "_fresh": True})
    return f"session={value}"


def test_nginx_sends_the_files_the_app_allows(app, front, make_gallery, make_asset, make_user):
    asset = served.ensure(make_asset(make_gallery(title="Wells"), size=(1600, 1200)))
    thumb = asset.rendition("thumb")
    stored = storage.read_bytes(thumb.storage_key)
    response, body = get(front, f"/media/{asset.id}/thumb.jpg?v={asset.sha256[:12]}")
    assert response.status == 200 and body == stored
    assert response.getheader("Content-Type") == "image/jpeg"
    assert response.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    assert response.getheader("X-Accel-Redirect") is None  # nginx consumed it
    response, body = get(front, f"/media/{asset.id}/thumb.jpg", {"Range": "bytes=10-109"})
    assert response.status == 206 and body == stored[10:110]
    # The protected location is internal: no client reaches it directly.
    response, _ = get(front, f"/_protected/{thumb.storage_key}")
    assert response.status == 404
    # A download: refused without an account, then logged and sent for a member.
    response, body = get(front, f"/download/assets/{asset.id}/original")
    assert response.status == 302 and "/login" in response.getheader("Location")
    assert storage.read_bytes(asset.served_key)[:64] not in body
    member = make_user("member")
    terms.accept(member)
    response, body = get(front, f"/download/assets/{asset.id}/original",
                         {"Cookie": session_cookie(app, member)})
    assert response.status == 200 and body == storage.read_bytes(asset.served_key)
    assert response.getheader("Content-Disposition") == f'attachment; filename="wells-{asset.id}-original.jpg"'
    assert response.getheader("Cache-Control") == "private, no-store"
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(DownloadEvent)) == 1

"""A small HTTP client for the cluster: one fresh connection per request, as a load balancer's clients make."""
from __future__ import annotations

import http.client
import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

REDIRECTS = (301, 302, 303, 307, 308)


@dataclass
class Response:
    """Status, headers (lower-case names) and the whole body of one answer."""

    status: int
    headers: dict[str, str]
    body: bytes
    cookies: dict[str, str]  # name=value of every Set-Cookie

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """Requests to one host:port, with optional default headers (a bearer token, a session cookie)."""

    def __init__(self, port: int, headers: dict[str, str] | None = None, timeout: float = 60.0) -> None:
        self.port, self.headers, self.timeout = port, dict(headers or {}), timeout

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers={**self.headers, **(headers or {})})
            answer = conn.getresponse()
            data = answer.read()
            cookies = dict(c.split(";", 1)[0].strip().split("=", 1)
                           for c in answer.headers.get_all("Set-Cookie") or [])
            return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, data,
                            cookies)
        finally:
            conn.close()

    def get(self, path: str, **params: Any) -> Response:
        return self.request("GET", f"{path}?{urlencode(params)}" if params else path)

    def post_json(self, path: str, payload: dict, method: str = "POST") -> Response:
        return self.request(method, path, json.dumps(payload).encode(),
                            {"Content-Type": "application/json"})

    def post_form(self, path: str, fields: dict[str, str], headers: dict[str, str] | None = None) -> Response:
        return self.request("POST", path, urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})

    def post_file(self, path: str, filename: str, data: bytes, mime: str = "image/jpeg",
                  fields: dict[str, str] | None = None) -> Response:
        """A multipart/form-data POST with one file, as a browser or script uploads it."""
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                 for name, value in (fields or {}).items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                     f'filename="{filename}"\r\nContent-Type: {mime}\r\n\r\n'.encode() + data + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, b"".join(parts),
                            {"Content-Type": f"multipart/form-data; boundary={boundary}"})


def follow(response: Response, timeout: float = 60.0) -> Response:
    """The answer at the end of a redirect (a presigned object store URL), fetched as a browser
    would: a plain GET of the URL, without the app's credentials."""
    if response.status not in REDIRECTS:
        return response
    url = urlsplit(response.headers["location"])
    assert url.scheme == "http" and url.hostname == "127.0.0.1", url.geturl()
    path = url.path + (f"?{url.query}" if url.query else "")
    return follow(Client(url.port or 80, timeout=timeout).request("GET", path), timeout)

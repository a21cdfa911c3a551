"""An S3 endpoint on 127.0.0.1: moto's standalone server (from `moto[server]`) and a bucket in it."""
from __future__ import annotations

import http.client
import sys
from dataclasses import dataclass

from tests.cluster.processes import Service, free_port, wait_until

REGION = "us-east-1"
# moto accepts any credentials; the app and boto3 find these in the standard AWS environment.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "cluster-test", "AWS_SECRET_ACCESS_KEY": "cluster-test-secret",
               "AWS_DEFAULT_REGION": REGION}


@dataclass
class Bucket:
    """Where the objects live: endpoint URL, bucket, key prefix, and the moto server process."""

    endpoint: str
    name: str
    prefix: str
    service: Service

    @property
    def storage_url(self) -> str:
        return f"s3://{self.name}/{self.prefix}"

    def client(self):
        """A boto3 client on the endpoint (real HTTP, no mocking)."""
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"])

    def keys(self) -> set[str]:
        """Every object key under the prefix, relative to it (as the storage module names them)."""
        client = self.client()
        found: set[str] = set()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=self.name,
                                                                     Prefix=f"{self.prefix}/"):
            found.update(o["Key"][len(self.prefix) + 1:] for o in page.get("Contents", []))
        client.close()
        return found


def start(log_dir: str, env: dict[str, str], name: str = "gallery-cluster",
          prefix: str = "gallery") -> Bucket:
    """Start moto's server on a free port, wait until it answers, and create the bucket."""
    port = free_port()
    service = Service("s3", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                      env, log_dir).start()
    wait_until(lambda: _answers(port) or not service.running, 60, "moto's S3 server")
    assert service.running, f"moto's server stopped:\n{service.log_tail()}"
    bucket = Bucket(f"http://127.0.0.1:{port}", name, prefix, service)
    client = bucket.client()
    client.create_bucket(Bucket=name)
    client.close()
    return bucket


def _answers(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/")
        conn.getresponse().read()
        return True
    finally:
        conn.close()

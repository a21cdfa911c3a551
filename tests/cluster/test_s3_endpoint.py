"""The S3 endpoint the cluster uses with S3 storage: moto's server on 127.0.0.1, spoken to over HTTP."""
from __future__ import annotations

import os
import uuid

import pytest

from tests.cluster import s3
from tests.cluster.processes import kill_marked

pytestmark = pytest.mark.cluster


def test_moto_server_starts_with_a_bucket_and_stops(tmp_path):
    run = uuid.uuid4().hex
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GALLERY_")},
           **s3.CREDENTIALS, "CLUSTER_RUN": run}
    bucket = s3.start(str(tmp_path), env)
    try:
        client = bucket.client()
        client.put_object(Bucket=bucket.name, Key=f"{bucket.prefix}/originals/ab/cd/x.jpg", Body=b"0123456789")
        client.put_object(Bucket=bucket.name, Key="elsewhere/y.jpg", Body=b"y")
        # A range GET, as the player asks for, and the listing under the prefix only.
        part = client.get_object(Bucket=bucket.name, Key=f"{bucket.prefix}/originals/ab/cd/x.jpg",
                                 Range="bytes=2-5")["Body"]
        assert part.read() == b"2345"
        part.close()
        client.close()
        assert bucket.keys() == {"originals/ab/cd/x.jpg"}
        assert bucket.storage_url == f"s3://{bucket.name}/{bucket.prefix}"
    finally:
        bucket.service.kill()
        kill_marked(f"CLUSTER_RUN={run}")
    assert not bucket.service.running

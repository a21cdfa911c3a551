"""The S3 store (boto3): objects under s3://bucket/prefix on AWS S3 or any S3-compatible server.

Credentials come from the standard AWS chain (environment, shared files, instance roles).
Writes are one PUT, or a multipart upload through boto3's managed transfer for big files: an
object appears whole when its upload completes, never half written.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from gallery.exceptions import StorageError
from gallery.i18n.service_messages import N_
from gallery.services.storage import TMP_SUFFIX, Listed

MISSING = ("404", "NoSuchKey", "NotFound")
MB = 1024 * 1024


class S3Reader:
    """An object's body, read in chunks as it arrives (memory bounded by one chunk)."""

    def __init__(self, body, size: int) -> None:
        self.body, self.size = body, size
        self.read = body.read

    def close(self) -> None:
        self.body.close()

    def __enter__(self) -> "S3Reader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.body.close()


class S3Store:
    """Objects of one bucket under a prefix; keys are the gallery's keys below the prefix."""

    def __init__(self, bucket: str, prefix: str, scratch: str, *, endpoint_url: str | None = None,
                 region: str | None = None, presign_seconds: int = 300,
                 multipart_threshold: int = 64 * MB, part_size: int = 16 * MB) -> None:
        self.bucket, self.prefix, self.scratch = bucket, prefix, scratch
        self.url = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
        self.presign_seconds = presign_seconds
        # Path-style addressing for a given endpoint (MinIO, Ceph, a test server on 127.0.0.1):
        # bucket names as host names need DNS that such servers rarely have.
        style = "path" if endpoint_url else "auto"
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url, region_name=region,
            config=Config(signature_version="s3v4", s3={"addressing_style": style},
                          retries={"max_attempts": 5, "mode": "standard"}, max_pool_connections=32))
        self.transfer = TransferConfig(multipart_threshold=multipart_threshold,
                                       multipart_chunksize=part_size, max_concurrency=4)

    def object_key(self, key: str) -> str:
        """The object's name: the prefix and the key (refused if it could mean another key)."""
        parts = key.split("/")
        if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise StorageError("Invalid storage key.")
        return f"{self.prefix}/{key}" if self.prefix else key

    def put_file(self, tmp_path: str, key: str) -> None:
        """Upload a finished temp file (multipart when big), then remove it."""
        try:
            self.client.upload_file(tmp_path, self.bucket, self.object_key(key), Config=self.transfer)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(N_("Could not store file: %(error)s", error=str(exc))) from exc
        os.unlink(tmp_path)

    def put_bytes(self, data: bytes, key: str) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.object_key(key), Body=data)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(N_("Could not store file: %(error)s", error=str(exc))) from exc

    def open(self, key: str, start: int = 0, end: int | None = None) -> S3Reader:
        args = {"Bucket": self.bucket, "Key": self.object_key(key)}
        if end is not None and end <= start:
            size = self.size(key)
            if size is None:
                raise FileNotFoundError(key)
            return S3Reader(_Empty(), size)  # an empty range: S3 has no way to ask for one
        if start or end is not None:
            args["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        try:
            found = self.client.get_object(**args)
        except BotoCoreError as exc:
            raise StorageError(N_("Could not read file: %(error)s", error=str(exc))) from exc
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "InvalidRange":
                size = self.size(key)  # a range from the end on: nothing to read
                if size is not None:
                    return S3Reader(_Empty(), size)
            if _missing(exc) or exc.response["Error"]["Code"] == "InvalidRange":
                raise FileNotFoundError(key) from exc
            raise StorageError(N_("Could not read file: %(error)s", error=str(exc))) from exc
        total = found["ContentLength"]
        if "ContentRange" in found:
            total = int(found["ContentRange"].rsplit("/", 1)[1])
        return S3Reader(found["Body"], total)

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def size(self, key: str) -> int | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))["ContentLength"]
        except BotoCoreError as exc:
            raise StorageError(N_("Could not read file: %(error)s", error=str(exc))) from exc
        except ClientError as exc:
            if _missing(exc):
                return None
            raise StorageError(N_("Could not read file: %(error)s", error=str(exc))) from exc

    def delete(self, key: str) -> None:
        """Remove an object; a missing one is not an error (S3 says so too)."""
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(N_("Could not remove file: %(error)s", error=str(exc))) from exc

    def remove_listed(self, key: str) -> None:
        """Remove an object listing() found (objects are never links)."""
        self.delete(key)

    def listing(self, folder: str) -> Iterator[Listed]:
        start = self.object_key(folder) + "/"
        cut = len(self.prefix) + 1 if self.prefix else 0
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start)
        try:
            for page in pages:
                for found in page.get("Contents", ()):
                    yield Listed(found["Key"][cut:], found["LastModified"].timestamp())
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(N_("Could not list %(place)s: %(error)s", place=self.url + "/" + folder, error=str(exc))) from exc

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[str]:
        """The object downloaded (ranged parts in parallel when big) to a temp file, removed after."""
        os.makedirs(self.scratch, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.scratch, suffix=TMP_SUFFIX)
        os.close(fd)
        try:
            try:
                self.client.download_file(self.bucket, self.object_key(key), tmp, Config=self.transfer)
            except BotoCoreError as exc:
                raise StorageError(N_("Could not read file: %(error)s", error=str(exc))) from exc
            except ClientError as exc:
                if _missing(exc):
                    raise FileNotFoundError(key) from exc
                raise StorageError(N_("Could not read file: %(error)s", error=str(exc))) from exc
            yield tmp
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def presign(self, key: str, mimetype: str, attachment: str | None) -> str:
        """A GET URL for the object that expires in presign_seconds, with the type (and name) to send."""
        params = {"Bucket": self.bucket, "Key": self.object_key(key), "ResponseContentType": mimetype}
        if attachment is not None:
            params["ResponseContentDisposition"] = f'attachment; filename="{attachment}"'
        return self.client.generate_presigned_url("get_object", Params=params,
                                                  ExpiresIn=self.presign_seconds)

    def close(self) -> None:
        """Close the client's pooled connections."""
        self.client.close()


class _Empty:
    def read(self, n: int = -1) -> bytes:
        return b""

    def close(self) -> None:
        pass


def _missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in MISSING

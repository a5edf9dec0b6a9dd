"""A local S3-compatible server for the S3 attachment store's tests: moto's standalone server
(the same HTTP API a bucket of MinIO, Ceph or Amazon S3 answers), on loopback with a free
port, one per test session; each test gets a bucket of its own. Nothing of Rembug is faked:
the store talks to it over HTTP with boto3, as it talks to a real server."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from moto.server import ThreadedMotoServer

from forum.attachments.s3 import S3Store, s3_store
from forum.settings import S3Settings, Settings


@dataclass(frozen=True)
class Bucket:
    """A fresh bucket on the test server: its REMBUG_* settings and the store on it."""

    env: dict[str, str]
    name: str
    store: S3Store

    def keys(self) -> list[str]:
        """Every object key in the bucket (the current versions), sorted."""
        pages = self.store.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return sorted(str(o["Key"]) for page in pages for o in page.get("Contents", []))

    def versions(self) -> list[tuple[str, str]]:
        """Every (key, version id) the bucket holds: a rewrite of an object adds one."""
        answer = self.store.client.list_object_versions(Bucket=self.name)
        return sorted((str(v["Key"]), str(v["VersionId"])) for v in answer.get("Versions", []))

    def raw(self, key: str) -> bytes:
        answer = self.store.client.get_object(Bucket=self.name, Key=key)
        return bytes(answer["Body"].read())


def start() -> Iterator[str]:
    """Run the server for the session; yields its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def new_bucket(endpoint: str, *, prefix: str = "attachments") -> Bucket:
    """A new, versioned bucket (so a test sees whether an object was written twice)."""
    name = f"rembug-test-{secrets.token_hex(6)}"
    env = {
        "REMBUG_ATTACHMENT_STORE": "s3",
        "REMBUG_S3_ENDPOINT_URL": endpoint,
        "REMBUG_S3_BUCKET": name,
        "REMBUG_S3_REGION": "us-east-1",
        "REMBUG_S3_PREFIX": prefix,
        "REMBUG_S3_ACCESS_KEY_ID": "rembug-test",
        "REMBUG_S3_SECRET_ACCESS_KEY": "rembug-test-secret-" + secrets.token_hex(8),
    }
    store = s3_store(parsed(env))
    store.client.create_bucket(Bucket=name)
    store.client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return Bucket(env=env, name=name, store=store)


def parsed(env: dict[str, str]) -> S3Settings:
    """The S3 settings as Rembug reads them from the environment."""
    settings = Settings.from_env(
        {"REMBUG_SECRET_KEY": "k" * 40, "REMBUG_DATA_DIR": "/nonexistent", **env}
    )
    assert settings.s3 is not None
    return settings.s3

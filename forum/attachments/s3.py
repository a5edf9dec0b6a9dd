"""The S3-compatible attachment store (``REMBUG_ATTACHMENT_STORE=s3``): the files in one
private bucket, under ``REMBUG_S3_PREFIX``, in the same layout as ``LocalStore``
(``<prefix>/ab/cd/<sha256>.<ext>``, thumbnails ``<sha256>.<side>.webp`` beside it), so that
several web hosts and workers share them. The only module importing boto3 and botocore, and it
is imported only when this store is chosen.

The client is made once per process and settings (``s3_store``): boto3 clients are safe to
share between threads and keep a pool of connections; the credentials come from the settings
only. Timeouts and retries are set here, not left to boto3's defaults (a minute per try) or to
an AWS configuration file."""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from typing import Any, BinaryIO, cast

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from forum.attachments.layout import relative_path
from forum.attachments.prepare import Prepared
from forum.settings import S3Settings

CONNECT_TIMEOUT = 5  # seconds to open a connection to the server
READ_TIMEOUT = 30  # seconds the server may stay silent while answering
ATTEMPTS = 3  # tries per request in all; "standard" retries back off with jitter
POOL_CONNECTIONS = 32  # per process: one per file being served or stored at once

_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
_THUMBNAIL = re.compile(r"[0-9a-f]{64}\.[0-9]+\.webp")


def s3_store(settings: S3Settings) -> S3Store:
    """The store for these settings, its client made on first use in this process."""
    return _cached_store(settings)


@lru_cache(maxsize=4)
def _cached_store(settings: S3Settings) -> S3Store:
    config = Config(
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        retries={"total_max_attempts": ATTEMPTS, "mode": "standard"},
        max_pool_connections=POOL_CONNECTIONS,
        signature_version="s3v4",
        s3={"addressing_style": settings.addressing_style},
        # Checksums only where the S3 API requires them: the CRC32 headers boto3 adds by
        # default are refused by many S3-compatible servers. Uploads carry Content-MD5 instead,
        # which every one of them checks.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        # The endpoint is REMBUG_S3_ENDPOINT_URL (or Amazon's), never one from AWS_* variables
        # or ~/.aws/config.
        ignore_configured_endpoint_urls=True,
        user_agent_appid="rembug",
    )
    session = boto3.session.Session()  # its own: boto3's default session is not thread-safe
    client = session.client(
        "s3",
        endpoint_url=settings.endpoint_url or None,
        region_name=settings.region,
        aws_access_key_id=settings.access_key_id,
        aws_secret_access_key=settings.secret_access_key,
        config=config,
    )
    return S3Store(client, settings.bucket, settings.prefix)


def _missing(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return str(error.get("Code", "")) in _MISSING or status == 404


class S3Store:
    """Attachment files in a bucket of an S3-compatible server (back the bucket up too)."""

    def __init__(self, client: Any, bucket: str, prefix: str) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    def key(self, sha256: str, extension: str, *, thumbnail: int | None = None) -> str:
        """The object key of a file; its parts are checked (``relative_path``)."""
        path = relative_path(sha256, extension, thumbnail=thumbnail)
        return f"{self.prefix}/{path}" if self.prefix else path

    def put(self, prepared: Prepared) -> None:
        if self.exists(prepared.sha256, prepared.extension):
            return
        for side, data in sorted(prepared.thumbnails.items()):
            key = self.key(prepared.sha256, prepared.extension, thumbnail=side)
            self._upload(key, data, "image/webp")
        # Last: the main object there means all of it is.
        self._upload(
            self.key(prepared.sha256, prepared.extension), prepared.data, prepared.media_type
        )

    def _upload(self, key: str, data: bytes, media_type: str) -> None:
        """One object, whole or not at all (S3 never shows a partly written object); the
        server checks it against its MD5 and refuses it when bytes were lost on the way."""
        digest = hashlib.md5(data, usedforsecurity=False).digest()
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=media_type,
            ContentMD5=base64.b64encode(digest).decode("ascii"),
        )

    def exists(self, sha256: str, extension: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256, extension))
        except ClientError as exc:
            if _missing(exc):
                return False
            raise
        return True

    def open(self, sha256: str, extension: str, *, thumbnail: int | None = None) -> BinaryIO:
        """The object as a stream read from the server as it is consumed (close it)."""
        key = self.key(sha256, extension, thumbnail=thumbnail)
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _missing(exc):
                raise FileNotFoundError(key) from None
            raise
        return cast(BinaryIO, answer["Body"])

    def read(self, sha256: str, extension: str, *, thumbnail: int | None = None) -> bytes:
        with self.open(sha256, extension, thumbnail=thumbnail) as body:
            return body.read()

    def delete(self, sha256: str, extension: str) -> None:
        main = self.key(sha256, extension)
        # First: without the main object its thumbnails are never used (and put writes them
        # again), so a failure half-way leaves nothing that looks complete.
        self.client.delete_object(Bucket=self.bucket, Key=main)
        folder = main.rsplit("/", 1)[0]
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{folder}/{sha256}."
        )
        for page in pages:
            for item in page.get("Contents", []):
                key = str(item["Key"])
                if _THUMBNAIL.fullmatch(key.rsplit("/", 1)[-1]):
                    self.client.delete_object(Bucket=self.bucket, Key=key)

"""Object storage by URL: ``s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT&region=REGION``,
one way of naming a bucket and making a client for every part that writes to one (the
evidence store, the published log). Credentials come from boto3's usual places
(``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY``, a profile, an instance role); they never
go in the URL, which is shown in logs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from openwitness.core.errors import OpenWitnessError


class BlobUrlError(OpenWitnessError):
    """An s3:// URL cannot be used; the message says why."""


class ObjectStoreError(OpenWitnessError):
    """The object store refused or could not be reached; nothing was logged."""


def parse_blob_url(url: str) -> tuple[str, str, dict[str, str]]:
    """``s3://bucket/prefix?endpoint=…&region=…`` as (bucket, prefix ending in "/" or "",
    options)."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise BlobUrlError(f"an object store is named s3://bucket/prefix?endpoint=…, not {url!r}")
    if parts.username or parts.password:
        raise BlobUrlError(
            "put no credentials in an s3:// URL: set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or a profile) instead"
        )
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = set(options) - {"endpoint", "region"}
    if unknown:
        raise BlobUrlError(f"s3:// URL: unknown option {sorted(unknown)[0]!r}")
    prefix = parts.path.strip("/")
    return parts.netloc, f"{prefix}/" if prefix else "", options


def s3_client(url: str) -> Any:
    """A boto3 S3 client for the endpoint and region ``url`` names."""
    import boto3
    from botocore.config import Config

    _, _, options = parse_blob_url(url)
    return boto3.client(
        "s3",
        endpoint_url=options.get("endpoint"),
        region_name=options.get("region", "us-east-1"),
        config=Config(
            retries={"max_attempts": 4, "mode": "standard"}, connect_timeout=10, read_timeout=60
        ),
    )


def checked(what: str, action: Callable[[], Any]) -> Any:
    """Run one call to the store; its failures become an ObjectStoreError a person can read
    ("the object store could not store the file: …"), never a library's traceback."""
    from boto3.exceptions import S3TransferFailedError, S3UploadFailedError
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return action()
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        raise ObjectStoreError(f"the object store refused to {what} ({code})") from None
    except (BotoCoreError, S3TransferFailedError, S3UploadFailedError) as error:
        raise ObjectStoreError(f"the object store could not {what}: {error}") from None

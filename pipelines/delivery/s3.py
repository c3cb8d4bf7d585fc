"""Upload a report to S3: each file under <prefix><period>/ with its content type, so a browser
opening the object shows the HTML page instead of downloading it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ecrcost.delivery.destinations import S3Destination

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",  # RFC 7763
    ".csv": "text/csv; charset=utf-8",  # RFC 4180
}


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix, "application/octet-stream")


def upload(client: Any, dest: S3Destination, period: str, paths: list[Path]) -> str:
    """PutObject of every file; returns what was sent."""
    for path in paths:
        client.put_object(
            Bucket=dest.bucket,
            Key=f"{dest.prefix}{period}/{path.name}",
            Body=path.read_bytes(),
            ContentType=content_type(path),
        )
    return f"{len(paths)} file(s) to {dest.label}{period}/"

"""The `--images FILE.json` input of `ecrcost policy simulate`, read into `LifecycleImage`s:
either a JSON array of images with the keys of IMAGE_KEYS, or what `aws ecr describe-images`
prints (an object with `imageDetails`, members as in the DescribeImages API reference,
https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageDetail.html). A bad field is a
one-line UserError naming the image and the field. docs/policy-input.md describes both."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ecrcost.errors import UserError
from ecrcost.lifecycle.model import ARCHIVE, STANDARD, STORAGE_OF_STATUS, LifecycleImage

IMAGE_KEYS = {
    "digest",
    "tags",
    "pushed_at",
    "last_pulled_at",
    "size_bytes",
    "storage_class",
    "archived_at",
    "last_activated_at",
    "layers",
    "child_digests",
    "subject_digest",
}


# ImageDetail time members and the LifecycleImage fields they fill.
AWS_TIME_MEMBERS = {
    "imagePushedAt": "pushed_at",
    "lastRecordedPullTime": "last_pulled_at",
    "lastArchivedAt": "archived_at",
    "lastActivatedAt": "last_activated_at",
}

IMAGES_HELP = """\
--images FILE accepts either
  * what `aws ecr describe-images --repository-name NAME > FILE` prints: an object with
    "imageDetails", each with imageDigest, imageTags, imagePushedAt, lastRecordedPullTime,
    imageSizeInBytes, imageStatus (ACTIVE | ARCHIVED | ACTIVATING), lastArchivedAt,
    lastActivatedAt, subjectManifestDigest; times as ISO 8601 strings (the CLI's default) or
    epoch seconds (cli_timestamp_format = none); other members are ignored;
  * a JSON array of objects with digest, pushed_at (required), tags, last_pulled_at,
    size_bytes, storage_class (standard | archive), archived_at, last_activated_at,
    layers [{digest, size}], child_digests, subject_digest.
See docs/policy-input.md."""


def parse_instant(value: str | None, what: str = "--at") -> datetime | None:
    """An ISO 8601 time (`Z` or an offset; none means UTC) as an aware datetime; None stays."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"{what}: {value!r} is not an ISO 8601 time (e.g. 2026-01-31T00:00:00Z)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read_images_file(path: str) -> list[LifecycleImage]:
    """The images of `path` (keys: IMAGE_KEYS; digest and pushed_at are required)."""
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: cannot read the images JSON ({exc})") from None
    if isinstance(doc, dict) and "imageDetails" in doc:
        details = doc["imageDetails"]
        if not isinstance(details, list):
            raise UserError(f"{path}: imageDetails must be a list of images")
        return [_aws_image(path, i, d) for i, d in enumerate(details)]
    if not isinstance(doc, list):
        raise UserError(
            f"{path}: expected a JSON array of images or the output of "
            "`aws ecr describe-images` (an object with imageDetails)"
        )
    return [_image(path, i, d) for i, d in enumerate(doc)]


def _tags(where: str, key: str, value: Any) -> tuple[str, ...]:
    """Image tags: 1 to 300 characters each (ECR's ImageIdentifier), none with a line break
    (the simulator holds an image's tags one per line)."""
    tags = value or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise UserError(f"{where}: field {key} must be a list of strings")
    for tag in tags:
        if not 1 <= len(tag) <= 300 or "\n" in tag or "\r" in tag:
            raise UserError(f"{where}: field {key}: {tag!r} is not an image tag (1 to 300 "
                            "characters, no line break)")  # fmt: skip
    return tuple(tags)


def _aws_time(where: str, key: str, value: Any) -> datetime | None:
    """An AWS CLI timestamp: ISO 8601 text (the default) or epoch seconds (`none` format)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise UserError(f"{where}: field {key} must be an ISO 8601 time or epoch seconds")
    if isinstance(value, str):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except ValueError:
            return parse_instant(value, f"{where} {key}")
    return datetime.fromtimestamp(value, UTC)


def _aws_image(path: str, index: int, d: Any) -> LifecycleImage:
    """One ImageDetail of `aws ecr describe-images`."""
    if not isinstance(d, dict):
        raise UserError(f"{path}: imageDetails #{index + 1}: not an object")
    digest = d.get("imageDigest")
    where = f"{path}: image {digest}" if isinstance(digest, str) else f"{path}: image #{index + 1}"
    if not isinstance(digest, str):
        raise UserError(f"{where}: field imageDigest is required (a string)")
    if d.get("imagePushedAt") is None:
        raise UserError(f"{where}: field imagePushedAt is required")
    times = {name: _aws_time(where, key, d.get(key)) for key, name in AWS_TIME_MEMBERS.items()}
    tags = _tags(where, "imageTags", d.get("imageTags"))
    size = d.get("imageSizeInBytes")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise UserError(f"{where}: field imageSizeInBytes must be a non-negative integer")
    status = d.get("imageStatus") or "ACTIVE"
    if status not in STORAGE_OF_STATUS:
        raise UserError(f"{where}: field imageStatus must be ACTIVE, ARCHIVED or ACTIVATING")
    subject = d.get("subjectManifestDigest")
    if subject is not None and not isinstance(subject, str):
        raise UserError(f"{where}: field subjectManifestDigest must be a string")
    return LifecycleImage(
        digest=digest,
        tags=tags,
        size_bytes=size,
        storage_class=STORAGE_OF_STATUS[status],
        subject_digest=subject,
        **times,
    )


def _image(path: str, index: int, d: Any) -> LifecycleImage:
    where = f"{path}: image #{index + 1}"
    if not isinstance(d, dict):
        raise UserError(f"{where}: not an object")
    unknown = set(d) - IMAGE_KEYS
    if unknown:
        raise UserError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    for key in ("digest", "pushed_at"):
        if not isinstance(d.get(key), str):
            raise UserError(f"{where}: field {key} is required (a string)")
    tags = _tags(where, "tags", d.get("tags"))
    size = d.get("size_bytes")
    if size is not None and (not isinstance(size, int) or size < 0):
        raise UserError(f"{where}: field size_bytes must be a non-negative integer")
    storage = d.get("storage_class") or STANDARD
    if storage not in (STANDARD, ARCHIVE):
        raise UserError(f"{where}: field storage_class must be standard or archive")
    layers = d.get("layers")
    if layers is not None:
        try:
            layers = tuple((str(x["digest"]), int(x["size"])) for x in layers)
        except (TypeError, KeyError, ValueError):
            raise UserError(f"{where}: field layers must be a list of {{digest, size}}") from None
    return LifecycleImage(
        digest=d["digest"],
        tags=tags,
        pushed_at=parse_instant(d["pushed_at"], f"{where} pushed_at"),
        last_pulled_at=parse_instant(d.get("last_pulled_at"), f"{where} last_pulled_at"),
        size_bytes=size,
        storage_class=storage,
        archived_at=parse_instant(d.get("archived_at"), f"{where} archived_at"),
        last_activated_at=parse_instant(d.get("last_activated_at"), f"{where} last_activated_at"),
        layers=layers,
        child_digests=tuple(d.get("child_digests") or ()),
        subject_digest=d.get("subject_digest"),
    )

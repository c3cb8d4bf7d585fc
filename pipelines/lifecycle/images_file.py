"""The `--images FILE.json` input of `ecrcost policy simulate`: a JSON array of images, each an
object with the keys below, read into `LifecycleImage`s; a bad field is a one-line UserError
naming the image and the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ecrcost.errors import UserError
from ecrcost.lifecycle.model import ARCHIVE, STANDARD, LifecycleImage

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
    if not isinstance(doc, list):
        raise UserError(f"{path}: expected a JSON array of images")
    return [_image(path, i, d) for i, d in enumerate(doc)]


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
    tags = d.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise UserError(f"{where}: field tags must be a list of strings")
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
        tags=tuple(tags),
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

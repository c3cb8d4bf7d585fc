"""`ecrcost images pin` / `images unpin`: add the pin tag to images (the tag the pin rule of a
plan's proposal selects), and take it off again, each write backed up and logged like every
other.

Pinning re-puts the image's own manifest with one more tag: BatchGetImage gives the manifest and
its media type, PutImage(imageManifest, imageManifestMediaType, imageDigest, imageTag) adds the
tag (the image and its digest stay the same). AWS records a pull for BatchGetImage: the
confirmation says so.

Unpinning removes the tag with BatchDeleteImage by tag only. AWS: "When you remove the last tag
from an image, the image is deleted from your repository." So an image whose only tag now is
its pin tag keeps it (the run says so), a tag that points at another image than the one pinned
is left alone, and nothing is ever asked by digest. Sources: docs/lifecycle-semantics.md,
"Pinning".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ecrcost.actions import log
from ecrcost.actions.apply import (
    Outcome,
    RunResult,
    client_for,
    error_text,
    finish,
    interruptible,
    new_run_backup,
    reach,
    start_row,
)
from ecrcost.actions.backup import BackupSet
from ecrcost.actions.selection import Key
from ecrcost.errors import EcrcostError, UserError
from ecrcost.lifecycle.in_use import load_in_use, pin_tag, with_related
from ecrcost.lifecycle.model import columns_of
from ecrcost.lifecycle.plan import load_inventory
from ecrcost.lifecycle.selection import exempt_reason, select

PIN_KIND = "image_pin"
UNPIN_KIND = "image_unpin"
ID_BATCH = 100  # BatchGetImage, DescribeImages: at most 100 image ids a call
# Every manifest type ECR stores; BatchGetImage converts to the first one accepted otherwise.
MANIFEST_TYPES = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v1+json",
]


@dataclass(frozen=True)
class PinTarget:
    account_id: str
    region: str
    repository_name: str
    pins: tuple[tuple[str, str], ...]  # (image digest, pin tag)
    exempt_reason: str | None = None

    @property
    def key(self) -> Key:
        return (self.account_id, self.region, self.repository_name)

    @property
    def label(self) -> str:
        return "/".join(self.key)


def pin_targets(
    con: Any,
    settings: Any,
    snapshot_id: str,
    include: Sequence[str] | None,
    exclude: Sequence[str] | None,
    *,
    digests: Sequence[str] = (),
    in_use: bool = False,
) -> tuple[list[PinTarget], list[str]]:
    """The images to pin per selected repository of the snapshot (`digests` given, or every
    image in use there), exempt repositories marked; and notes (images pinned already, scopes
    whose images in use are unknown). UserError naming a digest no selected repository holds."""
    inventory = load_inventory(con, settings.exemption_tag, snapshot_id=snapshot_id, layers=False)
    assert inventory is not None
    found_in_use = load_in_use(con, snapshot_id) if in_use else None
    wanted = set(digests)
    seen: set[str] = set()
    targets, notes = [], []
    selected = select(inventory.repositories, include, exclude)
    if not selected:
        raise UserError(f"no repository of snapshot {snapshot_id} matches --repositories")
    for repo in selected:
        cols = columns_of(repo.images)
        tags = {digest: cols.tags(i) for i, digest in enumerate(cols.digests)}
        if found_in_use is not None:
            users = with_related(repo.images, found_in_use.by_repository.get(repo.key, {}))
            chosen = sorted(d for d in users if d in tags)
        else:
            chosen = sorted(wanted & tags.keys())
        seen.update(chosen)
        pins = []
        for d in chosen:
            tag = pin_tag(settings.pin_tag_prefix, d)
            if tag in tags[d]:
                notes.append(f"{'/'.join(repo.key)}: {d} carries {tag} already")
            else:
                pins.append((d, tag))
        if pins:
            why = exempt_reason(settings, repo.repository_name, repo.exempt)
            targets.append(PinTarget(*repo.key, tuple(pins), why))
    missing = sorted(wanted - seen)
    if missing:
        raise UserError(
            f"--digests {missing[0]}: no selected repository of snapshot {snapshot_id} holds it"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
        )
    if found_in_use is not None:
        notes.extend(found_in_use.notes())
    return targets, notes


def pin_images(
    con: Any,
    access: Any,
    settings: Any,
    targets: Sequence[PinTarget],
    *,
    actor: str,
    now: datetime | None = None,
) -> RunResult:
    """Per repository: live tags and manifests read, a durable backup of them, a log row, then
    PutImage with the pin tag per image; a failure is that repository's own."""
    from botocore.exceptions import BotoCoreError, ClientError

    now = now or log.now_utc()
    keys = [t.key for t in targets if t.exempt_reason is None]
    clients: dict[tuple[str, str], Any] = {}
    unreachable, lines = reach(access, targets, clients)
    if keys and len(unreachable) == len(keys):
        nothing = "nothing was done (no tag added, no backup made, no log row)"
        raise EcrcostError("; ".join(lines) + f": {nothing}")
    backup = new_run_backup(
        settings, "pin", PIN_KIND, now, actor, keys, pin_tag_prefix=settings.pin_tag_prefix
    )
    outcomes: list[Outcome] = []
    undo = f"`ecrcost images unpin --backup {backup.backup_id}` takes the pin tags off"
    with interruptible(backup, outcomes, undo=undo) as run:
        for t in run.writable(targets):
            row = start_row(backup, log.IMAGE_PINNED, t.key, actor)
            if t.key in unreachable:
                outcomes.append(Outcome(*t.key, "failed", unreachable[t.key]))
                continue
            ids = {"registryId": t.account_id, "repositoryName": t.repository_name}
            digests = [d for d, _ in t.pins]
            try:
                client = client_for(access, clients, t.account_id, t.region)
                live = _live_tags(client, ids, digests)
                manifests = _manifests(client, ids, [d for d in digests if d in live])
            except (ClientError, BotoCoreError) as exc:
                row.status, row.detail = "failed", f"reading the images: {error_text(exc)}"
                log.record(con, row)
                outcomes.append(Outcome(*t.key, "failed", row.detail))
                continue
            entry = {
                "account_id": t.account_id,
                "region": t.region,
                "repository_name": t.repository_name,
                "recorded_at": log.now_utc().isoformat(),
                "images": [
                    {
                        "image_digest": d,
                        "pin_tag": tag,
                        "tags_before": live.get(d),  # None: not in the repository any more
                        "media_type": manifests.get(d, (None, None))[1],
                    }
                    for d, tag in t.pins
                ],
            }
            try:
                backup.write_entry(entry)
            except OSError as exc:
                detail = f"backup not written, repository left as it was: {exc}"
                outcomes.append(Outcome(*t.key, "failed", detail))
                continue
            row.detail = f"pinning {len(t.pins)} image(s)"
            log.record(con, row)
            pinned, problems = 0, []
            for digest, tag in t.pins:
                if digest not in live:
                    problems.append(f"{digest}: not in the repository any more")
                elif tag in live[digest]:
                    continue  # pinned already
                elif digest not in manifests:
                    problems.append(f"{digest}: BatchGetImage gave no manifest")
                else:
                    manifest, media_type = manifests[digest]
                    try:
                        client.put_image(
                            **ids,
                            imageManifest=manifest,
                            imageManifestMediaType=media_type,
                            imageDigest=digest,
                            imageTag=tag,
                        )
                        pinned += 1
                    except client.exceptions.ImageAlreadyExistsException:
                        pass  # the tag is on this image already
                    except (ClientError, BotoCoreError) as exc:
                        problems.append(f"{digest}: PutImage: {error_text(exc)}")
            done = f"{pinned} of {len(t.pins)} image(s) newly pinned"
            _settle(con, row, t.key, done, problems, bool(pinned), outcomes)
    return finish(backup, outcomes, notes=lines)


def unpin_images(
    con: Any,
    access: Any,
    settings: Any,
    backup_id: str,
    *,
    actor: str,
    now: datetime | None = None,
) -> RunResult:
    """Take off the pin tags backup `backup_id` added (never an image: see the module
    docstring). The unpin is itself backed up and logged."""
    from botocore.exceptions import BotoCoreError, ClientError

    now = now or log.now_utc()
    source = BackupSet.open(settings.backups_dir, backup_id)
    if source.kind != PIN_KIND:
        raise UserError(f"backup {backup_id} is a {source.kind}, not an `images pin` run")
    entries = [e for e in source.entries() if _added(e)]
    if not entries:
        raise UserError(f"backup {backup_id}: it added no pin tag to take off")
    keys = [(e["account_id"], e["region"], e["repository_name"]) for e in entries]
    undo = new_run_backup(settings, "unpin", UNPIN_KIND, now, actor, keys, unpins=backup_id)
    outcomes: list[Outcome] = []
    clients: dict[tuple[str, str], Any] = {}
    again = "records the tags it removes; `ecrcost images pin --digests ...` puts them back"
    with interruptible(undo, outcomes, undo=again) as run:
        for entry in run.writable([_Entry(e) for e in entries]):
            e = entry.entry
            row = start_row(undo, log.IMAGE_UNPINNED, entry.key, actor)
            ids = {"registryId": e["account_id"], "repositoryName": e["repository_name"]}
            added = _added(e)
            try:
                client = client_for(access, clients, e["account_id"], e["region"])
                live = _images_by_tag(client, ids, [img["pin_tag"] for img in added])
            except (ClientError, BotoCoreError) as exc:
                row.status, row.detail = "failed", f"DescribeImages: {error_text(exc)}"
                log.record(con, row)
                outcomes.append(Outcome(*entry.key, "failed", row.detail))
                continue
            removable, kept = [], []
            for img in added:
                found = live.get(img["pin_tag"])
                if found is None:
                    kept.append(f"{img['pin_tag']}: gone already")
                elif found[0] != img["image_digest"]:
                    kept.append(f"{img['pin_tag']}: now on another image ({found[0]}), left")
                elif set(found[1]) <= {img["pin_tag"]}:
                    kept.append(
                        f"{img['pin_tag']}: the only tag of {img['image_digest']}; removing "
                        "it would delete the image, so it stays"
                    )
                else:
                    removable.append(img)
            undo.write_entry(
                {
                    "account_id": e["account_id"],
                    "region": e["region"],
                    "repository_name": e["repository_name"],
                    "recorded_at": log.now_utc().isoformat(),
                    "removing": [
                        {
                            "image_digest": i["image_digest"],
                            "tag": i["pin_tag"],
                            "tags_before": list(live[i["pin_tag"]][1]),
                        }
                        for i in removable
                    ],
                }
            )
            log.record(con, row)
            problems = []
            for start in range(0, len(removable), ID_BATCH):
                batch = removable[start : start + ID_BATCH]
                try:
                    answer = client.batch_delete_image(
                        **ids, imageIds=[{"imageTag": i["pin_tag"]} for i in batch]
                    )
                except (ClientError, BotoCoreError) as exc:
                    problems.append(f"BatchDeleteImage: {error_text(exc)}")
                    continue
                for failure in answer.get("failures", []):
                    problems.append(
                        f"{failure.get('imageId', {}).get('imageTag')}: "
                        f"{failure.get('failureCode')} {failure.get('failureReason', '')}".strip()
                    )
            done = f"{len(removable)} pin tag(s) removed" + (
                f"; kept: {'; '.join(kept)}" if kept else ""
            )
            _settle(con, row, entry.key, done, [f"failed: {'; '.join(problems)}"] if problems
                    else [], bool(removable), outcomes)  # fmt: skip
    return finish(undo, outcomes)


@dataclass(frozen=True)
class _Entry:
    entry: dict[str, Any]
    exempt_reason: str | None = None

    @property
    def key(self) -> Key:
        e = self.entry
        return (e["account_id"], e["region"], e["repository_name"])


def _added(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The images of a pin backup entry whose pin tag the run added (not there before)."""
    return [
        img
        for img in entry.get("images", [])
        if img.get("tags_before") is not None and img["pin_tag"] not in img["tags_before"]
    ]


def _live_tags(client: Any, ids: dict[str, str], digests: list[str]) -> dict[str, list[str]]:
    """digest -> its tags now, for the digests still in the repository."""
    out: dict[str, list[str]] = {}
    for start in range(0, len(digests), ID_BATCH):
        batch = [{"imageDigest": d} for d in digests[start : start + ID_BATCH]]
        try:
            found = client.describe_images(**ids, imageIds=batch)["imageDetails"]
        except client.exceptions.ImageNotFoundException:
            found = [_one(client, ids, d["imageDigest"]) for d in batch]
        for d in found:
            if d is not None:
                out[d["imageDigest"]] = list(d.get("imageTags", []))
    return out


def _one(client: Any, ids: dict[str, str], digest: str) -> dict[str, Any] | None:
    try:
        return client.describe_images(**ids, imageIds=[{"imageDigest": digest}])["imageDetails"][0]
    except client.exceptions.ImageNotFoundException:
        return None


def _images_by_tag(
    client: Any, ids: dict[str, str], tags: list[str]
) -> dict[str, tuple[str, list[str]]]:
    """pin tag -> (digest, every tag) of the image carrying it now."""
    out: dict[str, tuple[str, list[str]]] = {}
    for tag in tags:
        try:
            (d,) = client.describe_images(**ids, imageIds=[{"imageTag": tag}])["imageDetails"]
        except client.exceptions.ImageNotFoundException:
            continue
        out[tag] = (d["imageDigest"], list(d.get("imageTags", [])))
    return out


def _manifests(client: Any, ids: dict[str, str], digests: list[str]) -> dict[str, tuple[str, str]]:
    """digest -> (manifest, media type) as stored."""
    out: dict[str, tuple[str, str]] = {}
    for start in range(0, len(digests), ID_BATCH):
        batch = [{"imageDigest": d} for d in digests[start : start + ID_BATCH]]
        answer = client.batch_get_image(**ids, imageIds=batch, acceptedMediaTypes=MANIFEST_TYPES)
        for img in answer.get("images", []):
            if "imageManifest" in img:
                media = img.get("imageManifestMediaType") or _media_type(img["imageManifest"])
                out[img["imageId"]["imageDigest"]] = (img["imageManifest"], media)
    return out


def _media_type(manifest: str) -> str:
    try:
        return str(json.loads(manifest).get("mediaType") or MANIFEST_TYPES[2])
    except (ValueError, AttributeError):
        return MANIFEST_TYPES[2]


def _settle(
    con: Any, row: Any, key: Any, done: str, problems: list[str], changed: bool, outcomes: list
) -> None:
    """One repository's pin or unpin: its log row (failed with the problems, else done) and its
    outcome (unchanged when nothing was added or removed)."""
    if problems:
        row.status, row.detail = "failed", f"{done}; {'; '.join(problems)}"
        outcomes.append(Outcome(*key, "failed", row.detail))
    else:
        row.status, row.detail = "done", done
        outcomes.append(Outcome(*key, "done" if changed else "unchanged", done))
    row.acted_at = log.now_utc()
    log.record(con, row)

"""Savings and danger flags: layer-aware bytes, upper bounds, manifest lists, referrers, archive."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ecrcost.lifecycle.model import LifecycleImage
from ecrcost.lifecycle.policy import parse_policy
from ecrcost.lifecycle.simulate import simulate
from ecrcost.prices import GIB, PriceTable

AT = datetime(2026, 3, 1, tzinfo=UTC)
PRICES = PriceTable.from_mapping(
    {
        "storage_per_gb_month": 0.10,
        "archive_per_gb_month": 0.07,
        "restore_per_gb": 0.03,
        "regions": {"eu-west-1": {"storage_per_gb_month": 0.11}},
    }
)
KEEP_1_UNTAGGED = {
    "rulePriority": 1,
    "description": "keep the newest untagged image",
    "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1},
    "action": {"type": "expire"},
}


def policy(*rules: dict):
    return parse_policy(json.dumps({"rules": list(rules)}, indent=2))


def img(digest: str, days: int, layers=None, size=None, **kw) -> LifecycleImage:
    return LifecycleImage(
        digest=digest,
        tags=kw.pop("tags", ()),
        pushed_at=AT - timedelta(days=days),
        size_bytes=size,
        layers=layers,
        **kw,
    )


BASE = ("sha256:base", 3 * GIB)  # shared by every image below


def test_shared_layers_stay_while_a_kept_image_uses_them() -> None:
    images = [
        img("new", 1, (BASE, ("l-new", GIB))),
        img("mid", 2, (BASE, ("l-mid", GIB // 2), ("l-shared-old", GIB // 4))),
        img("old", 3, (BASE, ("l-shared-old", GIB // 4), ("l-old", GIB // 8))),
    ]
    result = simulate(policy(KEEP_1_UNTAGGED), images, AT, PRICES, "us-east-1")
    assert (result.expired, result.transitioned) == (2, 0)
    # base stays (used by `new`); l-shared-old counted once; l-mid and l-old go.
    freed = GIB // 2 + GIB // 4 + GIB // 8
    assert result.savings.freed_bytes == freed
    assert result.savings.upper_bound is False
    assert result.savings.monthly_savings_usd == pytest.approx(freed / GIB * 0.10)
    assert result.summary()["notes"] == []


def test_region_price_applies() -> None:
    images = [img("new", 1, (BASE,)), img("old", 2, (("l-old", GIB),))]
    result = simulate(policy(KEEP_1_UNTAGGED), images, AT, PRICES, "eu-west-1")
    assert result.savings.monthly_savings_usd == pytest.approx(0.11)


def test_unknown_layers_fall_back_to_image_size_as_an_upper_bound() -> None:
    images = [img("new", 1, size=5 * GIB), img("old", 2, size=4 * GIB)]
    result = simulate(policy(KEEP_1_UNTAGGED), images, AT, PRICES, None)
    assert result.savings.freed_bytes == 4 * GIB
    assert result.savings.upper_bound is True
    assert result.summary()["notes"][0].startswith("upper bound: some images' layers are unknown")


def test_kept_image_of_unknown_layers_makes_the_figure_an_upper_bound() -> None:
    images = [img("new", 1, size=5 * GIB), img("old", 2, (BASE,), size=3 * GIB)]
    result = simulate(policy(KEEP_1_UNTAGGED), images, AT, PRICES, None)
    assert result.savings.freed_bytes == 3 * GIB and result.savings.upper_bound is True


def test_manifest_list_counts_zero_and_its_children_stay() -> None:
    images = [
        img("new", 1, (("l-new", GIB),)),
        img("index", 2, size=2 * GIB, child_digests=("amd64",)),  # size: its largest child
        img("amd64", 3, (("l-amd64", 2 * GIB),)),
    ]
    result = simulate(policy(KEEP_1_UNTAGGED), images, AT, PRICES, None)
    actions = {o.digest: (o.action, o.protected_by) for o in result.outcomes}
    assert actions == {"new": (None, None), "index": ("expire", None), "amd64": (None, "index")}
    assert result.savings.freed_bytes == 0 and result.savings.upper_bound is False
    kinds = [(d.kind, d.digest) for d in result.dangers]
    assert kinds == [("manifest_list_removed", "index")]


def test_referrer_layers_are_freed_with_their_subject() -> None:
    tagged_keep_1 = {
        "rulePriority": 1,
        "selection": {
            "tagStatus": "tagged",
            "tagPrefixList": ["v"],
            "countType": "imageCountMoreThan",
            "countNumber": 1,
        },
        "action": {"type": "expire"},
    }
    images = [
        img("v2", 1, (("l2", GIB),), tags=("v2",)),
        img("v1", 2, (("l1", GIB),), tags=("v1",)),
        img("sig", 2, (("sig-blob", 1000),), subject_digest="v1"),
    ]
    result = simulate(policy(tagged_keep_1), images, AT, PRICES, None)
    assert result.expired == 2
    assert result.savings.freed_bytes == GIB + 1000
    assert result.dangers == []  # the signature goes with its subject: nothing broken


def test_signature_expired_while_subject_stays_is_flagged() -> None:
    images = [
        img("app", 5, (("l", GIB),), tags=("v1",)),
        img("sig-new", 1, (("s1", 10),), subject_digest="app"),
        img("sig-old", 2, (("s2", 10),), subject_digest="app"),
    ]
    result = simulate(policy(KEEP_1_UNTAGGED), images, AT, PRICES, None)
    assert [(d.kind, d.digest) for d in result.dangers] == [("signature_broken", "sig-old")]
    assert result.savings.freed_bytes == 10


def test_recently_pulled_images_are_flagged() -> None:
    images = [
        img("new", 1, (("a", 1),)),
        img("pulled-29d", 50, (("b", 1),), last_pulled_at=AT - timedelta(days=29)),
        img("pulled-31d", 60, (("c", 1),), last_pulled_at=AT - timedelta(days=31)),
    ]
    result = simulate(policy(KEEP_1_UNTAGGED), images, AT, PRICES, None, recent_pull_days=30)
    assert [(d.kind, d.digest) for d in result.dangers] == [("recently_pulled", "pulled-29d")]
    assert "within 30 days" in result.dangers[0].detail
    longer = simulate(policy(KEEP_1_UNTAGGED), images, AT, PRICES, None, recent_pull_days=45)
    assert [d.digest for d in longer.dangers] == ["pulled-29d", "pulled-31d"]


def test_transition_priced_with_archive_minimum_and_restore() -> None:
    transition = {
        "rulePriority": 1,
        "selection": {
            "tagStatus": "any",
            "countType": "sinceImagePushed",
            "countUnit": "days",
            "countNumber": 30,
        },
        "action": {"type": "transition", "targetStorageClass": "archive"},
    }
    images = [
        img("recent", 1, (BASE,), size=3 * GIB),
        img("old", 40, (BASE, ("l-old", 2 * GIB)), size=5 * GIB),
    ]
    result = simulate(policy(transition), images, AT, PRICES, None)
    s = result.savings
    assert result.transitioned == 1
    assert s.freed_bytes == 2 * GIB  # the shared base stays in standard for `recent`
    assert s.archived_bytes == 5 * GIB  # the whole image is billed in archive
    assert s.monthly_savings_usd == pytest.approx(2 * 0.10 - 5 * 0.07)  # a net cost here
    assert s.archive_minimum_usd == pytest.approx(5 * 0.07 * 90 / (365.25 / 12))
    assert s.restore_usd == pytest.approx(5 * 0.03)
    note = result.summary()["notes"][0]
    assert "5.00 GiB leave standard storage" in note and "90-day minimum" in note


def test_expiring_archived_images_frees_archive_storage() -> None:
    rule = {
        "rulePriority": 1,
        "selection": {
            "tagStatus": "any",
            "storageClass": "archive",
            "countType": "sinceImageTransitioned",
            "countUnit": "days",
            "countNumber": 90,
        },
        "action": {"type": "expire"},
    }
    images = [
        img("a", 400, size=4 * GIB, storage_class="archive", archived_at=AT - timedelta(days=91)),
        img("b", 400, size=4 * GIB, storage_class="archive", archived_at=AT - timedelta(days=10)),
    ]
    result = simulate(policy(rule), images, AT, PRICES, None)
    assert result.expired == 1 and result.savings.freed_bytes == 0
    assert result.savings.archive_freed_bytes == 4 * GIB
    assert result.savings.monthly_savings_usd == pytest.approx(4 * 0.07)


def _pushed_before(priority: int, days: int, action: dict, **selection) -> dict:
    counting = {"countType": "sinceImagePushed", "countUnit": "days", "countNumber": days}
    return {"rulePriority": priority, "selection": {**selection, **counting}, "action": action}


def test_a_signature_archived_with_its_subject_is_not_flagged_but_one_expired_is() -> None:
    to_archive = {"type": "transition", "targetStorageClass": "archive"}
    archive_old = _pushed_before(1, 3, to_archive, tagStatus="tagged", tagPatternList=["v*"])
    images = [
        img("app", 5, (("l", GIB),), tags=("v1",)),
        img("sig", 5, (("s", 10),), subject_digest="app"),
    ]
    result = simulate(policy(archive_old), images, AT, PRICES, None)
    assert result.transitioned == 2 and result.expired == 0
    assert result.dangers == []  # archived together: the signature still has its subject
    expire_untagged = _pushed_before(2, 3, {"type": "expire"}, tagStatus="untagged")
    result = simulate(policy(archive_old, expire_untagged), images, AT, PRICES, None)
    assert (result.transitioned, result.expired) == (1, 1)
    assert [(d.kind, d.digest) for d in result.dangers] == [("signature_broken", "sig")]

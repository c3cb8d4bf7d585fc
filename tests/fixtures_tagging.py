"""ECR repositories in moto's Resource Groups Tagging API.

moto (5.2) answers `GetResources` only for the services whose backend mixes in its
`TaggableResourcesMixin`; ECR's does not, so `GetResources(ResourceTypeFilters=["ecr:repository"])`
would return nothing where AWS returns every tagged repository of the region. This plugin (loaded
by tests/conftest.py) adds moto's own ECR repositories, with the tags moto's ECR holds, to what
moto's tagging backend iterates. Serialisation, paging (`ResourcesPerPage`, `PaginationToken`),
tag and type filters stay moto's, in process (`mock_aws`) and over HTTP (the `moto_server`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest


class EcrRepositories:
    """One account and region of moto's ECR, shaped as a moto taggable backend."""

    def __init__(self, backend: Any):
        self.backend = backend

    def iter_tagged_resources(self) -> Iterator[Any]:
        from moto.core.resource_tagging import TaggedResource

        for repo in list(self.backend.repositories.values()):
            tags = self.backend.tagger.get_tag_dict_for_resource(repo.arn)
            yield TaggedResource(arn=repo.arn, tags=tags, resource_type="ecr:repository")

    def owns_arn(self, arn: str) -> bool:
        return ":ecr:" in arn


def add_ecr_to_tagging_api() -> Callable[[], None]:
    """Make moto's tagging backend iterate ECR repositories too; returns the undo. (Also used by
    bench/inventory.py, whose server is the same in-process moto.)"""
    from moto.ecr.models import ecr_backends
    from moto.resourcegroupstaggingapi import models

    original = models.iter_taggable_backends

    def with_ecr(account_id: str, region_name: str) -> Iterator[Any]:
        yield from original(account_id, region_name)
        if account_id in ecr_backends and region_name in ecr_backends[account_id]:
            yield EcrRepositories(ecr_backends[account_id][region_name])

    models.iter_taggable_backends = with_ecr

    def undo() -> None:
        models.iter_taggable_backends = original

    return undo


@pytest.fixture(autouse=True, scope="session")
def _ecr_in_tagging_api() -> Iterator[None]:
    undo = add_ecr_to_tagging_api()
    yield
    undo()

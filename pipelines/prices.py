"""The one price table every dollar figure comes from (storage, archive, restore), per region.

Defaults are the published/observed list prices; users override them per region in
`ecrcost.toml` (`[prices]` and `[prices.regions."<region>"]`) or `ECRCOST_PRICE_*` variables.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ecrcost.fmt import GIB

__all__ = ["GIB", "PriceTable", "RegionPrices"]

# $ per GB-month of standard private storage (seen in real bills in several regions).
DEFAULT_STORAGE_PER_GB_MONTH = 0.10
# Archive storage class (Nov 2025). Third-party sources, not AWS's page: same as standard for the
# first 150 TB a month, $0.07 beyond; restore about $0.03/GB; 90-day minimum storage duration.
DEFAULT_ARCHIVE_PER_GB_MONTH = 0.10
DEFAULT_RESTORE_PER_GB = 0.03
ARCHIVE_MINIMUM_DAYS = 90


@dataclass(frozen=True)
class RegionPrices:
    storage_per_gb_month: float = DEFAULT_STORAGE_PER_GB_MONTH
    archive_per_gb_month: float = DEFAULT_ARCHIVE_PER_GB_MONTH
    restore_per_gb: float = DEFAULT_RESTORE_PER_GB


@dataclass(frozen=True)
class PriceTable:
    default: RegionPrices = field(default_factory=RegionPrices)
    regions: dict[str, RegionPrices] = field(default_factory=dict)

    def for_region(self, region: str | None) -> RegionPrices:
        return self.regions.get(region or "", self.default)

    def storage(self, region: str | None) -> float:
        return self.for_region(region).storage_per_gb_month

    def archive(self, region: str | None) -> float:
        return self.for_region(region).archive_per_gb_month

    def restore(self, region: str | None) -> float:
        return self.for_region(region).restore_per_gb

    def monthly_cost(
        self, standard_bytes: float, archive_bytes: float = 0, *, region: str | None
    ) -> float:
        """Dollars a month for keeping `standard_bytes` in standard storage and `archive_bytes`
        in the archive class of `region`: the one bytes-to-dollars rule (a billed "GB" is a GiB,
        2**30 bytes)."""
        rp = self.for_region(region)
        cost = standard_bytes / GIB * rp.storage_per_gb_month
        if archive_bytes:
            cost += archive_bytes / GIB * rp.archive_per_gb_month
        return cost

    def monthly_storage_cost(self, size_bytes: float, region: str | None) -> float:
        """`monthly_cost` of standard storage only (kept for the inventory's callers)."""
        return self.monthly_cost(size_bytes, region=region)

    @classmethod
    def from_mapping(cls, data: dict) -> PriceTable:
        """Build from the `[prices]` table of ecrcost.toml: top-level keys override the default,
        `regions.<name>` tables override one region on top of the default."""
        keys = {"storage_per_gb_month", "archive_per_gb_month", "restore_per_gb"}
        unknown = set(data) - keys - {"regions"}
        if unknown:
            raise ValueError(f"unknown price key(s) {sorted(unknown)}; expected {sorted(keys)}")
        default = replace(RegionPrices(), **{k: float(v) for k, v in data.items() if k in keys})
        regions = {}
        for region, over in (data.get("regions") or {}).items():
            bad = set(over) - keys
            if bad:
                raise ValueError(f"unknown price key(s) {sorted(bad)} for region {region}")
            regions[region] = replace(default, **{k: float(v) for k, v in over.items()})
        return cls(default=default, regions=regions)

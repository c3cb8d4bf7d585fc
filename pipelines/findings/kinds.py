"""The kinds of finding, in the order they are built and shown. Kept apart from findings.py (no
imports) so the `findings` command's --kind choices cost nothing at start-up."""

KINDS = (
    "no_policy",
    "idle_policy",
    "untagged_images",
    "stale_repository",
    "empty_repository",
    "largest_repository",
    "largest_image",
    "largest_layer",
    "duplicate_image",
)

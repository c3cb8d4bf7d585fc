"""`ecrcost inventory`: collect (or load) a snapshot, store it, print the summary or the CSV."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ecrcost import options, sqlfiles, warehouse
from ecrcost.errors import PartialResult, UserError
from ecrcost.inventory.collect import PULL_TIME_WARNING, collect_inventory
from ecrcost.inventory.in_use import require_kubernetes
from ecrcost.inventory.model import Snapshot
from ecrcost.inventory.output import playbook_csv, snapshot_rows, summary_lines
from ecrcost.inventory.snapshots import list_snapshots, stored_notes
from ecrcost.inventory.store import billed_sizes, store_snapshot

DESCRIPTION = """\
Inventory every ECR repository, image (archived ones included) and, with --manifests, layer of
the chosen accounts and regions into the warehouse. Credentials come from the standard AWS chain
(profiles, SSO, environment, instance roles); AWS_ENDPOINT_URL is honoured. Exit code 3 when an
account, region or repository could not be read (what was read is stored), or an in-use
source (ECS, Lambda, Inspector, a pods file, a kube context) could not be read: its images are
then treated as possibly in use. Images in use are collected with the inventory from ECS,
Lambda and Amazon Inspector in the same accounts and regions, and from Kubernetes with
--kubernetes-pods and --kube-context."""

SNAPSHOTS_DESCRIPTION = """\
List the inventory snapshots in the warehouse, newest first: id, when it was taken, the accounts
and regions it covers, repositories, images, and whether it is complete, partial (what is
missing) or empty. Commands that read a snapshot use the newest complete one unless given
--snapshot ID."""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "inventory",
        parents=[options.home(), options.aws()],
        help="collect the ECR inventory (or load a snapshot file) into the warehouse",
        description=DESCRIPTION,
    )
    p.add_argument(
        "--concurrency", dest="max_concurrency", type=int, help="parallel AWS calls (default 8)"
    )
    p.add_argument(
        "--manifests",
        action="store_true",
        help="also read manifests (BatchGetImage) for layer-deduplicated billed sizes; "
        "this updates the images' last pull time in AWS",
    )
    p.add_argument(
        "--kubernetes-pods",
        dest="kubernetes_pods",
        action="append",
        default=[],
        metavar="FILE",
        help="output of `kubectl get pods -A -o json`, one file per cluster (repeatable); "
        "the file's name without .json names the cluster",
    )
    p.add_argument(
        "--kube-context",
        dest="kube_contexts",
        action="append",
        default=[],
        metavar="NAME",
        help="read the pods of this kubeconfig context with the kubernetes client "
        "(repeatable; needs ecrcost[kubernetes])",
    )
    p.add_argument("--out", help="also write the snapshot to this file (.json or .json.gz)")
    p.add_argument(
        "--from-snapshot", dest="from_snapshot", help="load this snapshot file, no AWS calls"
    )
    p.add_argument(
        "--csv",
        action="store_true",
        help="print the playbook script's CSV (Repositories,Size,Expected Cost); the cost is "
        "rounded to the cent where the script's bc truncates",
    )
    p.add_argument(
        "--detailed",
        action="store_true",
        help="with --csv: add account, region, counts, billed bytes and basis, push/pull "
        "times, policy and tags (booleans as true/false, empty when not known)",
    )
    p.set_defaults(handler=run_inventory)
    s = subparsers.add_parser(
        "snapshots",
        parents=[options.home(), options.output()],
        help="list the inventory snapshots in the warehouse (newest first)",
        description=SNAPSHOTS_DESCRIPTION,
    )
    s.set_defaults(handler=run_snapshots)


def run_inventory(args: argparse.Namespace, settings: Any) -> int:
    if args.detailed and not args.csv:
        raise UserError("--detailed only applies with --csv")
    if args.from_snapshot:
        aws_flags = [
            f for f in ("aws_profile", "regions", "accounts", "role_name") if getattr(args, f)
        ]
        if args.manifests or aws_flags or args.kubernetes_pods or args.kube_contexts:
            raise UserError(
                "--from-snapshot reads a file: drop --manifests, --kubernetes-pods, "
                "--kube-context and the AWS options"
            )
        snapshot = Snapshot.read(args.from_snapshot)
    else:
        if args.kube_contexts:
            require_kubernetes()
        if args.manifests:
            print(PULL_TIME_WARNING, file=sys.stderr)  # before the calls that move pull times
        snapshot = collect_inventory(
            settings,
            manifests=args.manifests,
            kubernetes_pods=tuple(args.kubernetes_pods),
            kube_contexts=tuple(args.kube_contexts),
        )
    if args.out:
        snapshot.write(args.out)

    with warehouse.opened(
        settings.warehouse_path, memory_limit=settings.duckdb_memory_limit
    ) as con:
        snapshot_id = store_snapshot(con, snapshot)
        sizes = billed_sizes(con, settings, snapshot_id)
        notes = stored_notes(con, snapshot_id)
        details = None
        if args.detailed:
            details = {
                (d["account_id"], d["region"], d["repository_name"]): d
                for d in sqlfiles.records(
                    con, "inventory/repository_details", {"snapshot_id": snapshot_id}
                )
            }

    if args.csv:
        sys.stdout.write(playbook_csv(sizes, settings.prices, details))
    summary = sys.stderr if args.csv else sys.stdout
    for line in summary_lines(snapshot_id, snapshot, sizes):
        print(line, file=summary)
    for note in notes:
        print(note, file=summary)
    missing = len(snapshot.errors) + len(snapshot.missing_sources)
    if missing:
        raise PartialResult(
            f"inventory is partial: {missing} part(s) missing (listed above); "
            f"what was read is stored as snapshot {snapshot_id}"
        )
    return 0


def run_snapshots(args: argparse.Namespace, settings: Any) -> int:
    with warehouse.opened(
        settings.warehouse_path, read_only=True, memory_limit=settings.duckdb_memory_limit
    ) as con:
        snapshots = list_snapshots(con)
    if args.output == "json":
        json.dump([s.to_json() for s in snapshots], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(snapshot_rows(snapshots, args.output))
    return 0

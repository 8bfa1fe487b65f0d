"""``synergy timesheets-report``: the per-task totals, for admins and scripts."""

from __future__ import annotations

import argparse
import json
from typing import Any

from synergy import Command
from synergy.http import iso
from synergy_timesheets.models import TaskTime


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", type=int, help="only this task")
    parser.add_argument("--recount", action="store_true",
                        help="queue the nightly recount now (a worker runs it)")


def _report(kernel: Any, args: argparse.Namespace) -> int:
    if args.recount:
        kernel.enqueue("timesheets.recount_all")
        print("recount queued")
        return 0
    rows = TaskTime.select().order_by(TaskTime.task)
    if args.task:
        rows = rows.where(TaskTime.task == args.task)
    for row in rows:
        print(json.dumps({"task": row.task_id, "total_minutes": row.total_minutes,
                          "entries": row.entries, "completed_at": iso(row.completed_at),
                          "minutes_at_completion": row.minutes_at_completion}))
    return 0


REPORT = Command("timesheets-report", "Show logged minutes per task", _report, _configure)

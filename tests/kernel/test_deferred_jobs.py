"""Jobs deferred with ``enqueue_after_commit`` follow the real commit, level by level.

Every step writes an event row and defers a job in the same scope, then a
transaction of up to three levels rolls back at one level. Whatever the way
in and the way out, the jobs that run are exactly those whose rows were
committed (on the database under test).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import peewee
import pytest

from synergy import Job, hookimpl
from synergy.app import Kernel
from synergy.models import Event, ProjectMember
from tests.conftest import _admin_connection


class RecordsRuns:
    PLUGIN_NAME = "deferred"

    def __init__(self) -> None:
        self.ran: list[str] = []

    @hookimpl
    def synergy_jobs(self) -> list[Job]:
        return [Job("note", self._note)]

    def _note(self, kernel: Any, label: str) -> None:
        self.ran.append(label)


class Boom(Exception):
    pass


@pytest.fixture
def deferred(make_app: Callable[..., Kernel]) -> tuple[Kernel, RecordsRuns]:
    plugin = RecordsRuns()
    return make_app([plugin]), plugin


def step(kernel: Kernel, label: str) -> None:
    """A write and the job that must follow it, in the same scope."""
    Event.create(type="test.step", payload={}, description=label)
    kernel.jobs.enqueue_after_commit("deferred.note", label)


def committed(kernel: Kernel) -> list[str]:
    with kernel.connection():
        return [row.description for row in
                Event.select(Event.description).where(Event.type == "test.step")
                .order_by(Event.id)]


def opener(kernel: Kernel, kind: str) -> contextlib.AbstractContextManager[Any]:
    return {"atomic": kernel.db.atomic, "transaction": kernel.db.transaction,
            "savepoint": kernel.db.savepoint}[kind]()


def run_levels(kernel: Kernel, kinds: tuple[str, ...], failing: int, how: str) -> None:
    """Nest ``kinds`` (outermost first); level ``failing`` rolls back ``how``."""

    def level(depth: int) -> None:
        with opener(kernel, kinds[depth - 1]) as scope:
            step(kernel, f"L{depth} before")
            if depth < len(kinds):
                try:
                    level(depth + 1)
                except Boom:
                    pass
            if depth == failing:
                if how == "exception":
                    raise Boom
                scope.rollback()
                step(kernel, f"L{depth} after rollback")

    with kernel.connection():
        with contextlib.suppress(Boom):
            level(1)


NESTINGS = [("atomic", "atomic", "atomic"), ("transaction", "savepoint", "savepoint"),
            ("transaction", "atomic", "savepoint"), ("atomic", "savepoint", "atomic")]


@pytest.mark.parametrize("how", ["exception", "explicit"])
@pytest.mark.parametrize("failing", [1, 2, 3])
@pytest.mark.parametrize("kinds", NESTINGS, ids="-".join)
def test_a_job_runs_exactly_when_its_rows_were_committed(
        deferred: tuple[Kernel, RecordsRuns], kinds: tuple[str, ...], failing: int,
        how: str) -> None:
    kernel, plugin = deferred
    run_levels(kernel, kinds, failing, how)
    assert plugin.ran == committed(kernel)
    expected = {
        ("exception", 1): [],
        ("exception", 2): ["L1 before"],
        ("exception", 3): ["L1 before", "L2 before"],
        ("explicit", 1): ["L1 after rollback"],
        ("explicit", 2): ["L1 before", "L2 after rollback"],
        ("explicit", 3): ["L1 before", "L2 before", "L3 after rollback"],
    }[how, failing]
    assert plugin.ran == expected


def test_a_nested_transaction_rolled_back_undoes_the_whole_transaction(
        deferred: tuple[Kernel, RecordsRuns]) -> None:
    """``db.transaction()`` inside a transaction is no savepoint: its rollback is the real one."""
    kernel, plugin = deferred
    with kernel.connection():
        with kernel.db.atomic():
            step(kernel, "outer")
            with kernel.db.transaction() as inner:
                step(kernel, "inner")
                inner.rollback()
                step(kernel, "inner after rollback")
    assert plugin.ran == committed(kernel) == ["inner after rollback"]


def test_a_released_savepoint_keeps_its_job_until_the_outer_commit(
        deferred: tuple[Kernel, RecordsRuns]) -> None:
    kernel, plugin = deferred
    with kernel.connection():
        with kernel.db.atomic():
            with kernel.db.atomic():
                step(kernel, "in savepoint")
            assert plugin.ran == []
        assert plugin.ran == []  # committed, handed to the queue when the block ends
    assert plugin.ran == ["in savepoint"]


def doom_the_commit(kernel: Kernel, database_url: str | None) -> None:
    """Make the coming COMMIT fail for real: a deferred foreign key, or a killed session."""
    if database_url is None:
        kernel.db.execute_sql("PRAGMA defer_foreign_keys = ON")
        ProjectMember.insert(project=999_999, user=999_999).execute()
        return
    pid = kernel.db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
    admin = _admin_connection(database_url)
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))
    admin.close()


def test_a_failing_commit_drops_the_jobs(deferred: tuple[Kernel, RecordsRuns],
                                         database_url: str | None) -> None:
    kernel, plugin = deferred
    with kernel.connection():
        with pytest.raises((peewee.DatabaseError, peewee.InterfaceError)):
            with kernel.db.atomic():
                step(kernel, "lost")
                doom_the_commit(kernel, database_url)
        kernel.db.close()
    assert committed(kernel) == []
    assert plugin.ran == []


def test_autocommit_jobs_run_when_the_block_ends(deferred: tuple[Kernel, RecordsRuns]) -> None:
    kernel, plugin = deferred
    with kernel.connection():
        step(kernel, "autocommit")
        assert plugin.ran == []
    assert plugin.ran == committed(kernel) == ["autocommit"]

"""SQLite writers hand the write lock over through a side-file lock: real processes, real files.

These run on SQLite whatever the test database is: the lock exists only for SQLite.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import time
from pathlib import Path
from typing import Any

import peewee
import pytest

from synergy.database import CHECKPOINT_EVERY, open_database
from synergy.sqlite_queue import SqliteQueue
from synergy.sqlite_write_lock import SqliteWriteLock, WriteLockTimeout

INCREMENTS = 150


def _lock_is_free(database_path: Path) -> bool:
    """Ask as an outsider (its own open file), without waiting."""
    with open(f"{database_path}.write-lock", "ab") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def _database(path: Path, timeout: float = 10) -> peewee.Database:
    database = open_database(f"sqlite:///{path}")
    database.write_lock.timeout = timeout
    return database


def _increment(path: str, start: multiprocessing.synchronize.Barrier) -> None:
    """Read, pause, write: loses updates unless transactions really exclude each other."""
    database = _database(Path(path))
    database.connect()
    start.wait()
    for _ in range(INCREMENTS):
        with database.atomic():
            (value,) = database.execute_sql("SELECT value FROM counter").fetchone()
            database.execute_sql("UPDATE counter SET value = ?", (value + 1,))
    database.close()


def _hold_lock(path: str, held: multiprocessing.synchronize.Event,
               release: multiprocessing.synchronize.Event) -> None:
    database = _database(Path(path))
    with database.atomic():
        database.execute_sql("UPDATE counter SET value = value + 1")
        held.set()
        release.wait(30)


@pytest.fixture
def counter_db(tmp_path: Path) -> Path:
    path = tmp_path / "counter.db"
    database = _database(path)
    database.execute_sql("CREATE TABLE counter (value INTEGER NOT NULL)")
    database.execute_sql("INSERT INTO counter (value) VALUES (0)")
    database.close()
    return path


def test_processes_writing_at_once_lose_no_update(counter_db: Path) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(3)
    workers = [context.Process(target=_increment, args=(str(counter_db), start))
               for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    database = _database(counter_db)
    assert database.execute_sql("SELECT value FROM counter").fetchone() == (3 * INCREMENTS,)
    assert _lock_is_free(counter_db)


def test_a_stuck_writer_makes_others_fail_after_the_timeout(counter_db: Path) -> None:
    context = multiprocessing.get_context("spawn")
    held, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_lock, args=(str(counter_db), held, release))
    holder.start()
    try:
        assert held.wait(30)
        database = _database(counter_db, timeout=0.3)
        started = time.monotonic()
        with pytest.raises(WriteLockTimeout, match="database is locked"):
            with database.atomic():
                database.execute_sql("UPDATE counter SET value = 0")
        assert 0.3 <= time.monotonic() - started < 5
        assert isinstance(WriteLockTimeout("x"), peewee.OperationalError)  # a 503, as SQLite's
    finally:
        release.set()
        holder.join(30)
    with database.atomic():
        database.execute_sql("UPDATE counter SET value = 0")
    assert _lock_is_free(counter_db)


def test_lock_is_released_by_commit_rollback_and_a_connection_returned_mid_transaction(
        counter_db: Path) -> None:
    database = _database(counter_db)
    with database.atomic():
        database.execute_sql("UPDATE counter SET value = value + 1")
        assert not _lock_is_free(counter_db)
    assert _lock_is_free(counter_db)

    with pytest.raises(RuntimeError), database.atomic():
        database.execute_sql("UPDATE counter SET value = value + 1")
        raise RuntimeError("undo")
    assert _lock_is_free(counter_db)
    assert database.execute_sql("SELECT value FROM counter").fetchone() == (1,)

    # Nested atomic blocks are savepoints: the lock stays until the outer block ends.
    with database.atomic():
        with database.atomic():
            database.execute_sql("UPDATE counter SET value = value + 1")
        assert not _lock_is_free(counter_db)
    assert _lock_is_free(counter_db)

    database.begin()
    database.execute_sql("UPDATE counter SET value = 100")
    database.close()  # the pool rolls the connection back
    assert _lock_is_free(counter_db)
    assert database.execute_sql("SELECT value FROM counter").fetchone() == (2,)


def test_reads_never_take_the_lock(counter_db: Path) -> None:
    outsider = SqliteWriteLock(counter_db, timeout=5)
    outsider.acquire()
    try:
        database = _database(counter_db)
        assert database.execute_sql("SELECT value FROM counter").fetchone() == (0,)
    finally:
        outsider.release()


def _enqueue_many(path: str, start: multiprocessing.synchronize.Barrier) -> None:
    queue = SqliteQueue("lock-test", filename=path, results=False)
    start.wait()
    for index in range(INCREMENTS):
        queue.storage.enqueue(f"job-{index}".encode())


def test_queue_storage_takes_jobs_from_several_processes_at_once(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(3)
    workers = [context.Process(target=_enqueue_many, args=(str(path), start)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    queue = SqliteQueue("lock-test", filename=str(path), results=False)
    assert queue.storage.queue_size() == 3 * INCREMENTS
    synchronous = queue.storage.conn.execute("PRAGMA synchronous").fetchone()
    assert synchronous == (1,)  # NORMAL: no fsync per enqueued job, still crash-safe with WAL
    assert _lock_is_free(path)


def test_each_process_checkpoints_the_wal_after_handing_the_lock_on(counter_db: Path) -> None:
    """SQLite's own checkpoint waits for 10,000 pages; ours keeps the WAL to a few
    hundred commits' worth (it restarts from its beginning once checkpointed)."""
    database = _database(counter_db)
    database.execute_sql("CREATE TABLE note (body TEXT NOT NULL)")
    commits = 5 * CHECKPOINT_EVERY
    for _ in range(commits):
        with database.atomic():
            database.execute_sql("INSERT INTO note (body) VALUES (?)", ("x" * 4000,))
    wal = Path(f"{counter_db}-wal").stat().st_size
    # Without checkpoints every commit would still be in it: at least a 4 KiB page each.
    assert wal < 0.75 * commits * 4096, wal
    assert database.execute_sql("SELECT count(*) FROM note").fetchone() == (commits,)


def _try_lock_in_forked_child(lock: SqliteWriteLock, outcome: Any) -> None:
    try:
        lock.acquire()
    except WriteLockTimeout:
        outcome.put("refused")
    else:
        outcome.put("acquired")


def test_a_forked_child_does_not_inherit_its_parents_lock(counter_db: Path) -> None:
    """gunicorn --preload forks after the app is built: the child must open its own file."""
    lock = SqliteWriteLock(counter_db, timeout=0.3)
    lock.acquire()
    try:
        context = multiprocessing.get_context("fork")
        outcome = context.Queue()
        child = context.Process(target=_try_lock_in_forked_child, args=(lock, outcome))
        child.start()
        child.join(30)
        assert outcome.get(timeout=5) == "refused"
    finally:
        lock.release()
    assert _lock_is_free(counter_db)

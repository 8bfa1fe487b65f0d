"""Peewee's ``after_commit`` callbacks, tied to savepoints as well as to the real commit.

Peewee runs ``db.after_commit(fn)`` callbacks when the outermost transaction
commits and drops them when it rolls back, but a savepoint that rolls back
keeps the callbacks registered inside it: a job deferred there would run
although the rows it follows were undone. :class:`CommitCallbacks` closes that
gap for every database the kernel opens:

- a savepoint remembers how many callbacks existed when it began; rolling it
  back (by an exception or by ``rollback()``) drops the ones added since, and
  releasing it hands them on to the enclosing transaction;
- a rollback drops all of them even when the ``ROLLBACK`` itself fails (a
  killed connection), since nothing was committed.

Outside any transaction ``after_commit`` runs the callback at once, as in
Peewee: autocommit statements are already committed.
"""

from __future__ import annotations

from typing import Any

import peewee


class _CallbackSavepoint(peewee._savepoint):
    """A savepoint that takes back the commit callbacks registered inside it."""

    _mark = 0

    def _begin(self) -> None:
        super()._begin()
        self._mark = len(self.db._state.commit_callbacks)

    def rollback(self, begin: bool = True) -> None:
        # Dropped first: a failing ROLLBACK TO still undid (or will undo) the writes.
        del self.db._state.commit_callbacks[self._mark:]
        super().rollback(begin)


class CommitCallbacks:
    """Mixin for a ``peewee.Database``: savepoint-aware ``after_commit`` callbacks."""

    _state: Any

    def savepoint(self) -> peewee._savepoint:
        return _CallbackSavepoint(self)

    def rollback(self) -> None:
        try:
            super().rollback()  # type: ignore[misc]
        finally:
            del self._state.commit_callbacks[:]

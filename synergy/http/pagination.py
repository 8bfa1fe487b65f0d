"""The list envelope: ``{count, next, previous, results}`` with ``?page`` and ``?page_size``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import falcon
import peewee

from synergy.errors import ValidationError
from synergy.schema import FieldError, Integer, from_query

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# Keeps page × size a valid SQL offset on every backend (a huge page is a 400, not a 500).
MAX_PAGE = 1_000_000
PAGE_FIELDS = {"page": Integer(minimum=1, maximum=MAX_PAGE),
           "page_size": Integer(minimum=1, maximum=MAX_PAGE_SIZE)}
_DEFAULTS = {"page": 1, "page_size": DEFAULT_PAGE_SIZE}


def page_params(req: falcon.Request) -> tuple[int, int]:
    """``page`` and ``page_size``, converted and bounded by the schema layer like any field."""
    errors: dict[str, list[str]] = {}
    values = dict(_DEFAULTS)
    for name, field in PAGE_FIELDS.items():
        raw = req.get_param(name)
        if raw is None:
            continue
        try:
            values[name] = field.validate(from_query(field, raw))
        except FieldError as exc:
            errors[name] = [str(exc)]
    if errors:
        raise ValidationError("Invalid pagination parameters.", fields=errors)
    return values["page"], values["page_size"]


def paginate(
    req: falcon.Request,
    query: peewee.SelectQuery | None,
    render: Callable[[list[Any]], list[dict[str, Any]]],
    *,
    fetch: Callable[[int, int], list[Any]] | None = None,
    total: Callable[[], int] | None = None,
) -> dict[str, Any]:
    """Run ``query`` for the requested page; ``render`` turns the page's rows into dicts.

    At most two queries (page, then count) plus whatever ``render`` does for the
    page as a whole: ``render`` receives the full list so it can batch its
    look-ups. A page that is not full tells the total by itself, so the count
    query runs only for full pages and for pages past the end.

    ``fetch(offset, limit)`` and ``total()`` replace ``query`` for a hot list whose
    queries are prepared once (:class:`synergy.database.PreparedQuery`).
    """
    page, size = getattr(req.context, "page", None) or page_params(req)
    if fetch is not None and total is not None:
        rows = fetch((page - 1) * size, size)
    else:
        rows = list(query.paginate(page, size))
    if 0 < len(rows) < size or (page == 1 and not rows):
        count = (page - 1) * size + len(rows)
    else:
        count = total() if total is not None else query.count(clear_limit=True)
    return {
        "count": count,
        "next": _page_url(req, page + 1, size) if page * size < count else None,
        "previous": _page_url(req, page - 1, size) if page > 1 else None,
        "results": render(rows),
    }


def _page_url(req: falcon.Request, page: int, size: int) -> str:
    params = {k: v for k, v in req.params.items() if k not in ("page", "page_size")}
    params["page"] = page
    params["page_size"] = size
    return f"{req.prefix}{req.path}?{urlencode(params, doseq=True)}"

"""Canonical request paths: each resource has one spelling, and every other one is refused.

Falcon strips leading slashes before routing and WSGI servers decode ``%2F``
into ``/``, so ``//api/auth/login/`` or ``/api%2Fauth/login/`` reach the login
responder although they are not the path a proxy, a cache or a log line sees.
Policies are attached to the route Falcon resolved, never to the path string;
on top of that the kernel refuses these spellings with a 400 before routing,
so that what reaches a responder is exactly what was written in front of it.

Allowed: ``/``-separated segments, one optional trailing slash (the API's
convention). Refused: empty segments (``//``), ``.`` and ``..`` segments
(also percent-encoded), an encoded ``/``, ``\\`` or NUL (``%2F``, ``%5C``,
``%00``), backslashes and control characters.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any
from urllib.parse import unquote, urlsplit

from synergy.errors import ValidationError

_ENCODED_SEPARATOR = re.compile(r"%(2f|5c|00)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def raw_path(environ: dict[str, Any]) -> str:
    """The path as the client sent it, before the server decoded it (no query string).

    gunicorn passes ``RAW_URI``, other servers ``REQUEST_URI``; without either the
    decoded ``PATH_INFO`` is all there is.
    """
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not raw:
        return environ.get("PATH_INFO") or "/"
    if not raw.startswith("/"):
        # Absolute-form request target: http://host/path
        raw = urlsplit(raw).path or "/"
    return raw.split("?", 1)[0].split("#", 1)[0]


def path_problem(raw: str, decoded: str) -> str | None:
    """Why a path is not canonical, or None when it is.

    ``raw`` is the path as sent, ``decoded`` what the server made of it (``PATH_INFO``).
    """
    if _ENCODED_SEPARATOR.search(raw):
        return "it encodes '/', '\\' or NUL inside a segment (%2F, %5C, %00)"
    for path in (unquote(raw), decoded):
        if "\\" in path:
            return "it contains a backslash"
        if _CONTROL.search(path):
            return "it contains a control character"
        if not path.startswith("/"):
            return "it does not start with '/'"
        if "//" in path:
            return "it contains an empty segment ('//')"
        if any(segment in (".", "..") for segment in path.split("/")):
            return "it contains a '.' or '..' segment"
    return None


def canonical_suggestion(raw: str) -> str:
    """The spelling a client most likely meant, for the error message."""
    decoded = unquote(raw).replace("\\", "/")
    suggestion = posixpath.normpath("/" + decoded.lstrip("/"))
    if decoded.endswith("/") and suggestion != "/":
        suggestion += "/"
    return suggestion


def require_canonical_path(environ: dict[str, Any]) -> None:
    """Raise a 400 ``non_canonical_path`` unless the request path is canonical."""
    raw = raw_path(environ)
    decoded = environ.get("PATH_INFO") or "/"
    problem = path_problem(raw, decoded.encode("latin-1", "replace").decode("utf-8", "replace"))
    if problem is not None:
        raise ValidationError(
            f"The path {raw[:200]!r} is not canonical: {problem}. Send "
            f"{canonical_suggestion(raw)[:200]!r} instead.",
            fields={"path": [f"Not canonical: {problem}."]}, code="non_canonical_path")

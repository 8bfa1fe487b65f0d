"""Reading request bodies safely: type, size and syntax checked before anything else.

JSON and multipart bodies alike may come with a Content-Length or chunked
(``Transfer-Encoding: chunked``, no length); either way the size limit holds
while the body streams in. Read errors of the stream itself are translated
by :mod:`synergy.http.streams`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import falcon
import orjson
from falcon.util import BufferedReader

from synergy.errors import (
    LengthRequired,
    PayloadTooLarge,
    SynergyError,
    UnsupportedMediaType,
    ValidationError,
)

_CACHE_ATTRIBUTE = "synergy_json_body"


def read_json(req: falcon.Request, max_bytes: int | None = None) -> Any:
    """Return the parsed JSON body (``{}`` when empty).

    The body is read through a bounded stream and never beyond ``max_bytes``
    (default: ``SYNERGY_MAX_JSON_KB``), so a huge or endless body costs nothing.
    The result is cached on the request, so middleware (a rate limiter keyed
    on the login name, say) may call this before the responder does.
    """
    cached = getattr(req.context, _CACHE_ATTRIBUTE, _CACHE_ATTRIBUTE)
    if cached is _CACHE_ATTRIBUTE:
        try:
            cached = _parse(req, max_bytes)
        except SynergyError as exc:
            # The stream is consumed: a second reader must see the same failure.
            cached = exc
        setattr(req.context, _CACHE_ATTRIBUTE, cached)
    if isinstance(cached, SynergyError):
        raise cached
    return cached


def _parse(req: falcon.Request, max_bytes: int | None) -> Any:
    if max_bytes is None:
        max_bytes = req.context.kernel.settings.max_json_kb * 1024
    length = req.content_length
    if length is not None and length > max_bytes:
        raise PayloadTooLarge(f"The JSON body is {length} bytes; the limit is {max_bytes}.")
    raw = _read_body(req, max_bytes + 1)
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"The JSON body exceeds the limit of {max_bytes} bytes.")
    if not raw.strip():
        return {}
    content_type = (req.content_type or "").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise UnsupportedMediaType(
            f"Send the body as application/json (got {content_type or 'no content type'})."
        )
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValidationError(f"Malformed JSON: {exc}", code="malformed_json",
                              fields={"non_field_errors": ["Malformed JSON."]}) from None


def read_multipart(req: falcon.Request, max_bytes: int,
                   too_large: Callable[[], PayloadTooLarge] | None = None) -> Iterable[Any]:
    """The parts of a ``multipart/form-data`` body, read lazily, with or without a length.

    Falcon's form parser asserts a Content-Length when handed the request
    stream; it is handed a reader of its own instead, which ends at the
    declared length or, for a chunked body, raises ``too_large()`` (default: a
    plain :class:`PayloadTooLarge`) as soon as more than ``max_bytes`` arrive —
    the limit holds while streaming, whatever the client declared.
    """
    too_large = too_large or (lambda: PayloadTooLarge(
        f"The request body exceeds the limit of {max_bytes} bytes."))
    length = req.content_length
    if length is not None and length > max_bytes:
        raise too_large()
    if length is None and not req.env.get("wsgi.input_terminated"):
        if "chunked" in (req.get_header("Transfer-Encoding") or "").lower():
            raise LengthRequired("Send a Content-Length header with the upload.")
        length = 0
    read = _limited(req.stream.read, max_bytes, too_large)
    reader = BufferedReader(read, max_bytes + 1 if length is None else length)
    handler = req.options.media_handlers[falcon.MEDIA_MULTIPART]
    return handler.deserialize(reader, req.content_type, length)


def _limited(read: Callable[[int], bytes], max_bytes: int,
             too_large: Callable[[], PayloadTooLarge]) -> Callable[[int], bytes]:
    received = 0

    def limited(size: int) -> bytes:
        nonlocal received
        chunk = read(size)
        received += len(chunk)
        if received > max_bytes:
            raise too_large()
        return chunk

    return limited


def _read_body(req: falcon.Request, limit: int) -> bytes:
    """Read at most ``limit`` bytes of the body, with or without Content-Length.

    A chunked body has no Content-Length; the WSGI server de-chunks it and
    says so with ``wsgi.input_terminated`` (gunicorn does), which makes
    reading the raw stream to its end safe. Without that promise a reader
    could block forever, so such a body is refused rather than ignored.
    """
    if req.content_length is not None:
        return req.bounded_stream.read(limit)
    chunked = "chunked" in (req.get_header("Transfer-Encoding") or "").lower()
    if not req.env.get("wsgi.input_terminated"):
        if chunked:
            raise LengthRequired("Send a Content-Length header with the body.")
        return b""
    parts: list[bytes] = []
    received = 0
    while received < limit:
        part = req.stream.read(limit - received)
        if not part:
            break
        parts.append(part)
        received += len(part)
    return b"".join(parts)

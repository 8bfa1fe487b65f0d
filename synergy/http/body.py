"""Reading JSON request bodies safely: type, size and syntax checked before anything else."""

from __future__ import annotations

from typing import Any

import falcon
import orjson

from synergy.errors import (
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
    raw = req.bounded_stream.read(max_bytes + 1)
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

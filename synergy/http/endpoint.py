"""The ``endpoint`` decorator: one declaration for auth, validation and documentation."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import falcon

from synergy.errors import AuthenticationFailed
from synergy.http.body import read_json
from synergy.http.pagination import page_params
from synergy.schema import Schema

ENDPOINT_ATTRIBUTE = "__synergy_endpoint__"


@dataclass(frozen=True)
class EndpointSpec:
    summary: str
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    response: type[Schema] | None = None
    many: bool = False
    status: int = 200
    public: bool = False
    multipart: bool = False
    errors: tuple[int, ...] = ()
    tags: tuple[str, ...] = field(default_factory=tuple)
    description: str = ""


def endpoint(
    summary: str,
    *,
    body: type[Schema] | None = None,
    query: type[Schema] | None = None,
    response: type[Schema] | None = None,
    many: bool = False,
    status: int = 200,
    public: bool = False,
    multipart: bool = False,
    errors: tuple[int, ...] = (),
    tags: tuple[str, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a responder (``on_get``, ``on_post``, ...).

    Before the responder runs: an anonymous caller gets 401 unless ``public``;
    the JSON body is validated against ``body`` (partially for PATCH) into
    ``req.context.body``; the query string against ``query`` into
    ``req.context.query``; for ``many``, ``page`` and ``page_size`` into
    ``req.context.page`` (so bad input is a 400 before any lookup could answer
    404). ``response`` (with ``many`` for paginated lists)
    and ``status`` document the success answer in ``/api/openapi.json``.
    """

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        spec = EndpointSpec(summary=summary, body=body, query=query, response=response,
                            many=many, status=status, public=public, multipart=multipart,
                            errors=errors, tags=tags,
                            description=(func.__doc__ or "").strip())

        @functools.wraps(func)
        def responder(resource: Any, req: falcon.Request, resp: falcon.Response,
                      **params: Any) -> Any:
            if not public and req.context.user is None:
                raise req.context.auth_error or AuthenticationFailed()
            if body is not None:
                req.context.body = body.validate(read_json(req), partial=req.method == "PATCH")
            if query is not None:
                req.context.query = query.validate_query(req.params)
            if many:
                req.context.page = page_params(req)
            resp.status = status
            return func(resource, req, resp, **params)

        setattr(responder, ENDPOINT_ATTRIBUTE, spec)
        return responder

    return decorate


def endpoint_spec(responder: Any) -> EndpointSpec | None:
    return getattr(responder, ENDPOINT_ATTRIBUTE, None)

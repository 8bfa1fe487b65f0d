"""The one place where exceptions become HTTP responses.

Every failure, whoever raised it, leaves as
``{"error": {"status", "code", "message", "fields", "request_id"}}``.
"""

from __future__ import annotations

import logging
from typing import Any

import falcon
import peewee

from synergy.errors import SynergyError
from synergy.http.render import dumps

log = logging.getLogger("synergy.http")

_FALCON_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    409: "conflict",
    411: "length_required",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    429: "rate_limited",
    431: "headers_too_large",
}


def write_error(
    req: falcon.Request,
    resp: falcon.Response,
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    request_id = getattr(req.context, "request_id", None)
    resp.status = status
    resp.content_type = falcon.MEDIA_JSON
    resp.data = dumps({"error": {"status": status, "code": code, "message": message,
                                 "fields": fields or {}, "request_id": request_id}})
    for name, value in (headers or {}).items():
        resp.set_header(name, value)


def handle_domain_error(req: falcon.Request, resp: falcon.Response, ex: SynergyError,
                        params: Any) -> None:
    write_error(req, resp, ex.status, ex.code, ex.message, ex.fields, ex.headers)


def handle_falcon_error(req: falcon.Request, resp: falcon.Response, ex: falcon.HTTPError,
                        params: Any) -> None:
    status = ex.status_code
    message = ex.description or ex.title or "Request failed."
    if status == 404:
        message = f"No route matches {req.path}."
    elif status == 405:
        message = f"{req.method} is not allowed on {req.path}."
    headers = dict(ex.headers or {})
    write_error(req, resp, status, _FALCON_CODES.get(status, "error"), message,
                headers=headers)


def handle_unexpected(req: falcon.Request, resp: falcon.Response, ex: Exception,
                      params: Any) -> None:
    if isinstance(ex, falcon.HTTPStatus):
        raise ex
    request_id = getattr(req.context, "request_id", None)
    log.exception("unhandled error on %s %s (request %s)", req.method, req.path, request_id)
    if isinstance(ex, (peewee.OperationalError, peewee.InterfaceError)):
        # A lost connection or a locked database: worth retrying, unlike a bug.
        write_error(req, resp, 503, "database_unavailable",
                    f"The database is unavailable; retry shortly (request id {request_id}).",
                    headers={"Retry-After": "5"})
        return
    write_error(req, resp, 500, "internal_error",
                f"An unexpected error occurred. Quote request id {request_id} when reporting it.")


def install_error_handlers(app: falcon.App) -> None:
    app.add_error_handler(Exception, handle_unexpected)
    app.add_error_handler(falcon.HTTPError, handle_falcon_error)
    app.add_error_handler(SynergyError, handle_domain_error)

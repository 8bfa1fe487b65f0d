"""Serves ``/api/own-headers``: a responder that chooses its own security headers."""

from typing import Any

import falcon
from synergy_hookspecs import hookimpl

from synergy import Route
from synergy.http import endpoint

OWN_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "X-Frame-Options": "SAMEORIGIN",
    "Cache-Control": "private, max-age=60",
}


class OwnHeaders:
    @endpoint("Answer with headers of its own", public=True)
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        for name, value in OWN_HEADERS.items():
            resp.set_header(name, value)
        resp.media = {}

    @endpoint("Refuse, after choosing headers", public=True)
    def on_delete(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.set_header("Content-Security-Policy", "default-src 'none'; sandbox")
        raise falcon.HTTPForbidden()


@hookimpl
def synergy_routes() -> list[Any]:
    return [Route("/api/own-headers", OwnHeaders())]

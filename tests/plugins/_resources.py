"""Resources shared by the route-collision test plugins."""

from typing import Any

import falcon

from synergy.http import endpoint


class Hello:
    @endpoint("Say hello", public=True)
    def on_get(self, req: falcon.Request, resp: falcon.Response, **params: Any) -> None:
        resp.media = {"hello": params}


class Undecorated:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {}

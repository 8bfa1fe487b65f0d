"""HTTP resource of ``/api/comments/{id}/``: edit by the author, delete by author or owner."""

from __future__ import annotations

from typing import Any

import falcon

from synergy.http import endpoint
from synergy.projects import comments, schemas
from synergy.projects.lookups import load_comment
from synergy.projects.representation import render_comment
from synergy.projects.resources.projects import require_fields

TAGS = ("comments",)


class CommentDetail:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("A comment (members and staff)", response=schemas.CommentBody, tags=TAGS,
              errors=(401, 404))
    def on_get(self, req: falcon.Request, resp: falcon.Response, comment_id: int) -> None:
        resp.media = render_comment(load_comment(self.kernel, req.context.user, comment_id,
                                                 req))

    @endpoint("Edit a comment (author); marks it edited", body=schemas.CommentBody,
              response=schemas.CommentBody, tags=TAGS, errors=(400, 401, 403, 404))
    def on_patch(self, req: falcon.Request, resp: falcon.Response, comment_id: int) -> None:
        user = req.context.user
        require_fields(req.context.body)
        comment = load_comment(self.kernel, user, comment_id, req)
        comment = comments.edit_comment(self.kernel, user, comment, req.context.body["content"],
                                        req)
        resp.media = render_comment(comment)

    @endpoint("Delete a comment (author or project owner)", status=204, tags=TAGS,
              errors=(401, 403, 404))
    def on_delete(self, req: falcon.Request, resp: falcon.Response, comment_id: int) -> None:
        user = req.context.user
        comment = load_comment(self.kernel, user, comment_id, req)
        comments.delete_comment(self.kernel, user, comment, req)

"""HTTP resources for attachments: streamed multipart upload, list, download, delete."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import falcon

from synergy.errors import NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationError
from synergy.http import endpoint, paginate
from synergy.http.body import read_multipart
from synergy.models import Attachment, User
from synergy.projects import attachments, schemas
from synergy.projects.lookups import load_attachment, load_task
from synergy.projects.representation import render_attachment
from synergy.projects.sanitising import sanitise_html
from synergy.projects.storage import max_upload_bytes, stored_path, stream_to_temp

log = logging.getLogger("synergy.projects.attachments")

TAGS = ("attachments",)
# Room for the multipart framing and the small text fields around the file.
FORM_OVERHEAD = 64 * 1024
MAX_TEXT_FIELD = 5_000
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


class UploadForm:
    """The parts of an upload form; the file part is streamed to disk as it arrives."""

    def __init__(self) -> None:
        self.temporary: Path | None = None
        self.size = 0
        self.filename = ""
        self.description = ""
        self.is_proof = False

    def read(self, kernel: Any, parts: Iterable[Any]) -> None:
        errors: dict[str, list[str]] = {}
        for part in parts:
            if part.name == "file":
                if self.temporary is not None:
                    errors["file"] = ["Send exactly one file."]
                    continue
                self.filename = part.filename or ""
                self.temporary, self.size = stream_to_temp(kernel, part.stream)
            elif part.name in ("description", "is_proof_of_completion"):
                text = self._text(part, errors)
                if text is not None:
                    self._assign(part.name, text, errors)
            else:
                errors[part.name or "(unnamed)"] = ["Unknown field."]
        if self.temporary is None and "file" not in errors:
            errors["file"] = ["This field is required."]
        if errors:
            raise ValidationError("Invalid upload form.", fields=errors)

    @staticmethod
    def _text(part: Any, errors: dict[str, list[str]]) -> str | None:
        raw = part.stream.read(MAX_TEXT_FIELD * 4 + 1)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            errors[part.name] = ["Expected UTF-8 text."]
            return None
        if len(text) > MAX_TEXT_FIELD or "\x00" in text:
            errors[part.name] = [f"Use at most {MAX_TEXT_FIELD} characters, without NUL."]
            return None
        return text.strip()

    def _assign(self, name: str, text: str, errors: dict[str, list[str]]) -> None:
        if name == "description":
            self.description = sanitise_html(text)
        elif text.lower() in _TRUE | _FALSE:
            self.is_proof = text.lower() in _TRUE
        else:
            errors[name] = ["Expected true or false."]

    def discard(self) -> None:
        if self.temporary is not None:
            self.temporary.unlink(missing_ok=True)


class UploadAttachment:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("Attach a file to a task (multipart: file, description?, "
              "is_proof_of_completion?)", response=schemas.AttachmentOut, status=201,
              multipart=True, tags=TAGS, errors=(400, 401, 403, 404, 413, 415))
    def on_post(self, req: falcon.Request, resp: falcon.Response, task_id: int) -> None:
        """Permission is checked before a byte of the body is read; the size limit is enforced
        on Content-Length first and again while streaming, so no body is ever held in memory.
        A chunked upload (no Content-Length) is accepted and cut off with 413 past the limit."""
        user = req.context.user
        task = load_task(self.kernel, user, task_id, req)
        self.kernel.permissions.require(user, "attachment.create", task, req)
        megabytes = self.kernel.settings.max_upload_mb

        def too_large() -> PayloadTooLarge:
            return PayloadTooLarge(f"The upload exceeds the limit of {megabytes} MB.",
                                   fields={"file": [f"Larger than {megabytes} MB."]})

        limit = max_upload_bytes(self.kernel) + FORM_OVERHEAD
        if (req.content_type or "").split(";")[0].strip().lower() != "multipart/form-data":
            raise UnsupportedMediaType("Send the file as multipart/form-data.")
        form = UploadForm()
        try:
            form.read(self.kernel, read_multipart(req, limit, too_large))
            attachment = attachments.attach_file(
                self.kernel, user, task, form.temporary, form.size, form.filename,
                form.description, form.is_proof, req)
        finally:
            form.discard()
        resp.media = render_attachment(attachment)


class TaskAttachments:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("A task's attachments, newest first", query=schemas.PageQuery,
              response=schemas.AttachmentOut, many=True, tags=TAGS, errors=(400, 401, 404))
    def on_get(self, req: falcon.Request, resp: falcon.Response, task_id: int) -> None:
        """Queries: count and page (uploader joined): two, for any page size."""
        task = load_task(self.kernel, req.context.user, task_id, req)
        query = (Attachment.select(Attachment, User)
                 .join(User, on=(Attachment.uploaded_by == User.id))
                 .where(Attachment.task == task.id)
                 .order_by(Attachment.created_at.desc(), Attachment.id.desc()))
        resp.media = paginate(req, query, lambda rows: [render_attachment(row) for row in rows])


class AttachmentDetail:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("An attachment's details", response=schemas.AttachmentOut, tags=TAGS,
              errors=(401, 404))
    def on_get(self, req: falcon.Request, resp: falcon.Response, attachment_id: int) -> None:
        resp.media = render_attachment(load_attachment(self.kernel, req.context.user,
                                                       attachment_id, req))

    @endpoint("Delete an attachment and its file (uploader or owner)", status=204, tags=TAGS,
              errors=(401, 403, 404))
    def on_delete(self, req: falcon.Request, resp: falcon.Response, attachment_id: int) -> None:
        user = req.context.user
        attachment = load_attachment(self.kernel, user, attachment_id, req)
        attachments.delete_attachment(self.kernel, user, attachment, req)


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback and the exact UTF-8 name (RFC 6266 / 5987)."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


class DownloadAttachment:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @endpoint("Download an attachment (members and staff)", tags=TAGS, errors=(401, 404))
    def on_get(self, req: falcon.Request, resp: falcon.Response, attachment_id: int) -> None:
        """Streamed from disk with the detected type; never rendered inline by browsers."""
        attachment = load_attachment(self.kernel, req.context.user, attachment_id, req)
        path = stored_path(self.kernel, attachment.storage_name)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            log.error("attachment %s: stored file %s is missing", attachment.id,
                      attachment.storage_name)
            raise NotFound("The file of this attachment is missing.") from None
        resp.stream = handle
        resp.content_length = attachment.size
        resp.content_type = attachment.content_type
        resp.set_header("Content-Disposition", content_disposition(attachment.original_name))
        resp.set_header("X-Content-Type-Options", "nosniff")
        resp.set_header("Content-Security-Policy", "default-src 'none'; sandbox")
        resp.set_header("Cache-Control", "private, no-store")

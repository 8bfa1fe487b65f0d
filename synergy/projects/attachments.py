"""Attachment rules: type by content against the allow-list, proof of completion, deletion."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

from synergy.errors import UnsupportedMediaType, ValidationError
from synergy.models import Attachment, Task, TaskAssignee, User
from synergy.projects import activity
from synergy.projects.filetypes import FileKind, detect
from synergy.projects.representation import render_attachment
from synergy.projects.storage import remove_stored_files, store
from synergy.projects.tasks import move_to_review

NEVER_ALLOWED = frozenset({"executable"})


def sanitise_filename(name: str) -> str:
    """The last path component, without control characters, at most 255 characters."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    return name[:255] or "file"


def check_kind(kernel: Any, path: Path, original_name: str) -> FileKind:
    kind = detect(path, original_name)
    allowed = set(kernel.settings.allowed_upload_types) - NEVER_ALLOWED
    if kind is None or kind.name not in allowed:
        what = kind.name if kind is not None else "an unrecognised type"
        message = (f"This file is {what}; allowed types are: "
                   f"{', '.join(sorted(allowed))}.")
        raise UnsupportedMediaType(message, code="file_type_not_allowed",
                                   fields={"file": [message]})
    return kind


def attach_file(kernel: Any, actor: User, task: Task, temporary: Path, size: int,
                original_name: str, description: str, is_proof: bool,
                request: Any = None) -> Attachment:
    """Store a streamed upload. The temporary file is consumed (moved or deleted) in any case.

    A proof of completion uploaded by an assignee moves the task to review.
    """
    try:
        if size == 0:
            raise ValidationError.for_field("file", "The file is empty.")
        kind = check_kind(kernel, temporary, original_name)
        storage_name = store(kernel, temporary)
    finally:
        temporary.unlink(missing_ok=True)
    try:
        with kernel.db.atomic():
            attachment = Attachment.create(
                task=task.id, uploaded_by=actor.id, original_name=sanitise_filename(original_name),
                storage_name=storage_name, content_type=kind.content_type,
                file_type=kind.category, size=size, description=description,
                is_proof_of_completion=is_proof)
            attachment.uploaded_by = actor
            payload = render_attachment(attachment)
            payload["task"] = {"id": task.id, "title": task.title}
            kernel.events.record("attachment.created", actor=actor, project=task.project_id,
                                 payload={"attachment": payload},
                                 description=activity.attachment_created(
                                     actor, attachment.original_name, task.title, is_proof))
            if is_proof and TaskAssignee.select().where(TaskAssignee.task == task.id,
                                                        TaskAssignee.user == actor.id).exists():
                move_to_review(kernel, actor, task, request)
    except BaseException:
        remove_stored_files(kernel, [storage_name])
        raise
    return attachment


def delete_attachment(kernel: Any, actor: User, attachment: Attachment,
                      request: Any = None) -> None:
    """Uploader or owner; the stored file goes once the row is gone."""
    kernel.permissions.require(actor, "attachment.delete", attachment, request)
    task = attachment.task
    with kernel.db.atomic():
        attachment.delete_instance()
        kernel.events.record("attachment.deleted", actor=actor, project=task.project_id,
                             payload={"attachment": {
                                 "id": attachment.id, "task": {"id": task.id, "title": task.title},
                                 "original_name": attachment.original_name}},
                             description=activity.attachment_deleted(
                                 actor, attachment.original_name, task.title))
    remove_stored_files(kernel, [attachment.storage_name])

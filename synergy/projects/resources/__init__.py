"""The project API's routes, contributed by the kernel plugin."""

from __future__ import annotations

from typing import Any

from synergy.contributions import Route
from synergy.projects.resources.attachments import (
    AttachmentDetail,
    DownloadAttachment,
    TaskAttachments,
    UploadAttachment,
)
from synergy.projects.resources.comments import CommentDetail
from synergy.projects.resources.projects import (
    AddMember,
    ProjectActivities,
    ProjectDetail,
    ProjectList,
    ProjectStats,
    RemoveMember,
)
from synergy.projects.resources.tasks import (
    AddComment,
    BulkUpdate,
    TaskComments,
    TaskDetail,
    TaskList,
)


def _id(name: str) -> str:
    """A path id: only plain ASCII digits from 1 to MAX_ID match, anything else is a 404."""
    return f"{{{name}:id}}"


def project_routes(kernel: Any) -> list[Route]:
    project, task = _id("project_id"), _id("task_id")
    comment, attachment = _id("comment_id"), _id("attachment_id")
    return [
        Route("/api/projects", ProjectList(kernel)),
        Route(f"/api/projects/{project}", ProjectDetail(kernel)),
        Route(f"/api/projects/{project}/add_member", AddMember(kernel)),
        Route(f"/api/projects/{project}/remove_member", RemoveMember(kernel)),
        Route(f"/api/projects/{project}/stats", ProjectStats(kernel)),
        Route(f"/api/projects/{project}/activities", ProjectActivities(kernel)),
        Route("/api/tasks", TaskList(kernel)),
        Route("/api/tasks/bulk_update", BulkUpdate(kernel)),
        Route(f"/api/tasks/{task}", TaskDetail(kernel)),
        Route(f"/api/tasks/{task}/comments", TaskComments(kernel)),
        Route(f"/api/tasks/{task}/add_comment", AddComment(kernel)),
        Route(f"/api/tasks/{task}/attachments", TaskAttachments(kernel)),
        Route(f"/api/tasks/{task}/upload_attachment", UploadAttachment(kernel)),
        Route(f"/api/comments/{comment}", CommentDetail(kernel)),
        Route(f"/api/attachments/{attachment}", AttachmentDetail(kernel)),
        Route(f"/api/attachments/{attachment}/download", DownloadAttachment(kernel)),
    ]

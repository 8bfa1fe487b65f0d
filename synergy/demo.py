"""Demo data for ``synergy serve --demo``: a few users and projects to click through."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from synergy.models import Project, User

log = logging.getLogger("synergy.demo")

DEMO_PASSWORD = "synergy-demo-2026"
DEMO_USERS = (("ada", "Ada", "Lovelace"), ("grace", "Grace", "Hopper"),
              ("linus", "Linus", "Torvalds"))
DEMO_PROJECTS = (
    ("Website relaunch", "grace", "active", "high", (
        ("Design home page", "done", 30, ("grace",)),
        ("Write launch copy", "in_progress", 20, ("linus",)),
        ("Set up analytics", "todo", 10, ("grace", "linus")),
    )),
    ("Compiler rewrite", "ada", "planning", "medium", (
        ("Collect benchmarks", "review", 40, ("ada",)),
        ("Sketch the new parser", "todo", 60, ("grace",)),
    )),
)


def load_demo_data(kernel: Any) -> None:
    """Idempotent: users and projects that already exist are left alone."""
    created = 0
    for username, first, last in DEMO_USERS:
        if User.select().where(User.username_key == username).exists():
            continue
        kernel.auth.create_user(username=username, email=f"{username}@example.com",
                                password=DEMO_PASSWORD, first_name=first, last_name=last,
                                check_rules=False, is_staff=username == "ada")
        created += 1
    projects = _load_demo_projects(kernel)
    log.info("demo data: %s user(s) and %s project(s) created; log in as ada / %s", created,
             projects, DEMO_PASSWORD)


def _load_demo_projects(kernel: Any) -> int:
    """Made through the domain functions, so progress, members and events are real."""
    from synergy.projects.members import add_member
    from synergy.projects.projects import create_project
    from synergy.projects.tasks import create_task

    users = {user.username: user for user in User.select().where(
        User.username_key.in_([name for name, _, _ in DEMO_USERS]))}
    created = 0
    for name, owner_name, status, priority, tasks in DEMO_PROJECTS:
        if Project.select().where(Project.name == name).exists():
            continue
        owner = users[owner_name]
        project = create_project(kernel, owner, {"name": name, "status": status,
                                                 "priority": priority})
        for username in users:
            if username != owner_name:
                add_member(kernel, owner, project, {"user_id": users[username].id})
        for offset, (title, task_status, impact, assignees) in enumerate(tasks):
            create_task(kernel, owner, {
                "project": project.id, "title": title, "status": task_status, "impact": impact,
                "assignees": [users[username].id for username in assignees],
                "due_date": dt.date.today() + dt.timedelta(days=7 * (offset - 1))})
        created += 1
    # Outside a request nothing flushes the deferred event dispatches: hand them over now.
    kernel.jobs.flush_after_commit()
    return created

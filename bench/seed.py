"""Seed the original report's test data set: 100 users, 1,000 projects, 10,000 tasks.

Rows are bulk-inserted through the kernel models (no events, no hashing per user) so seeding takes
seconds; the benchmark measures reads and writes against this data, not the seeding.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from synergy.models import Project, ProjectMember, Task, TaskAssignee, User, utcnow

USERS = 100
PROJECTS = 1_000
TASKS_PER_PROJECT = 10
MEMBERS_PER_PROJECT = 4
BENCH_USER = "bench000"


def seed(kernel: Any) -> dict[str, Any]:
    rng = random.Random(42)
    password = kernel.auth.hasher.hash("bench-password-1")
    now = utcnow()
    with kernel.db.atomic():
        User.insert_many([
            {"username": f"bench{i:03d}", "username_key": f"bench{i:03d}",
             "email": f"bench{i:03d}@example.com", "password": password,
             "first_name": f"User{i}", "last_name": "Bench", "date_joined": now}
            for i in range(USERS)]).execute()
        user_ids = [u.id for u in User.select(User.id).order_by(User.id)]
        statuses = ("planning", "active", "on_hold", "completed", "cancelled")
        priorities = ("low", "medium", "high", "urgent")
        for start in range(0, PROJECTS, 200):
            Project.insert_many([
                {"name": f"Project {i}", "description": f"Benchmark project number {i}",
                 "status": statuses[i % 5], "priority": priorities[i % 4],
                 "owner": user_ids[i % USERS], "created_at": now, "updated_at": now,
                 "start_date": dt.date(2026, 1, 1), "end_date": dt.date(2026, 12, 31)}
                for i in range(start, start + 200)]).execute()
        projects = list(Project.select(Project.id, Project.owner).order_by(Project.id))
        memberships = []
        for index, project in enumerate(projects):
            members = {project.owner_id}
            memberships.append({"project": project.id, "user": project.owner_id,
                                "role": "owner", "added_at": now})
            # The benchmark user belongs to every tenth project (100 projects).
            if index % 10 == 0 and user_ids[0] not in members:
                members.add(user_ids[0])
                memberships.append({"project": project.id, "user": user_ids[0],
                                    "role": "member", "added_at": now})
            while len(members) < MEMBERS_PER_PROJECT + 1:
                user = rng.choice(user_ids)
                if user not in members:
                    members.add(user)
                    memberships.append({"project": project.id, "user": user,
                                        "role": "member", "added_at": now})
        for start in range(0, len(memberships), 500):
            ProjectMember.insert_many(memberships[start:start + 500]).execute()
        task_rows = []
        for project in projects:
            for t in range(TASKS_PER_PROJECT):
                task_rows.append({
                    "project": project.id, "title": f"Task {t} of project {project.id}",
                    "description": "<p>Benchmark task</p>",
                    "status": ("todo", "in_progress", "review", "done")[t % 4],
                    "priority": priorities[t % 4], "impact": 10,
                    "due_date": dt.date(2026, 6, 1) + dt.timedelta(days=t),
                    "created_by": project.owner_id, "created_at": now, "updated_at": now})
        for start in range(0, len(task_rows), 500):
            Task.insert_many(task_rows[start:start + 500]).execute()
        members_by_project: dict[int, list[int]] = {}
        for row in memberships:
            members_by_project.setdefault(row["project"], []).append(row["user"])
        assignments = [{"task": task.id, "user": members_by_project[task.project_id][
            task.id % len(members_by_project[task.project_id])]}
            for task in Task.select(Task.id, Task.project)]
        for start in range(0, len(assignments), 500):
            TaskAssignee.insert_many(assignments[start:start + 500]).execute()
    # A live database has planner statistics (PostgreSQL's autovacuum gathers them within
    # a minute); without them both apps would be measured on seq scans of a fresh load.
    kernel.db.execute_sql("ANALYZE")
    bench_user = User.get(User.username_key == BENCH_USER)
    project = (Project.select().join(ProjectMember)
               .where(ProjectMember.user == bench_user.id).order_by(Project.id).first())
    task = Task.select().where(Task.project == project.id).order_by(Task.id).first()
    return {"user_id": bench_user.id, "project_id": project.id, "task_id": task.id}

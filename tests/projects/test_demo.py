"""``synergy serve --demo`` seeds projects through the domain functions, idempotently."""

from __future__ import annotations

from collections.abc import Callable

from synergy.app import Kernel
from synergy.demo import load_demo_data
from synergy.models import Event, Project, ProjectMember, Task


def test_demo_projects_are_real_and_loaded_once(make_app: Callable[..., Kernel]) -> None:
    kernel = make_app()
    with kernel.connection():
        load_demo_data(kernel)
        load_demo_data(kernel)
        progress = {project.name: project.progress for project in Project.select()}
        assert progress == {"Website relaunch": 50, "Compiler rewrite": 0}
        assert Task.select().count() == 5
        assert ProjectMember.select().count() == 6
        assert Event.select().where(Event.type == "task.created").count() == 5

"""Who receives what: project visibility at the time of the event, scopes, filters, once."""

from __future__ import annotations

import json

from synergy_webhooks.fanout import fan_out, matches

from synergy.app import Kernel
from synergy.models import Event, Project, User
from tests.conftest import Api
from tests.webhooks.conftest import (
    add_member,
    create_webhook,
    deliveries,
    emit,
    make_project,
    remove_member,
    task_event,
    user_id,
)
from tests.webhooks.receivers import Receiver


def types_received(receiver: Receiver) -> list[str]:
    return [json.loads(request.body)["type"] for request in receiver.requests]


def test_patterns() -> None:
    assert matches(["*"], "task.created")
    assert matches(["task.*"], "task.completed")
    assert not matches(["task.*"], "taskforce.created")
    assert matches(["project.updated"], "project.updated")
    assert not matches(["project.updated"], "project.created")


def test_only_members_receive_project_events(kernel: Kernel, api: Api) -> None:
    ada, bob, eve = (api.as_new_user(name) for name in ("ada", "bob", "eve"))
    hooks = {name: Receiver() for name in ("ada", "bob", "eve")}
    try:
        for client, name in ((ada, "ada"), (bob, "bob"), (eve, "eve")):
            create_webhook(client, hooks[name].url, ["task.created"])
        project = make_project(kernel, user_id(ada), members=(user_id(bob),))
        task_event(kernel, project)
        assert len(hooks["ada"].requests) == 1
        assert len(hooks["bob"].requests) == 1
        assert hooks["eve"].requests == []
    finally:
        for server in hooks.values():
            server.close()


def test_membership_is_judged_at_the_time_of_the_event(kernel: Kernel, api: Api,
                                                       receiver: Receiver) -> None:
    ada, bob = api.as_new_user("ada"), api.as_new_user("bob")
    bob_hook = create_webhook(bob, receiver.url, ["task.*", "member.*"])
    project = make_project(kernel, user_id(ada))
    before_joining = task_event(kernel, project, "before bob")
    add_member(kernel, project, user_id(bob))
    task_event(kernel, project, "while bob")
    remove_member(kernel, project, user_id(bob))
    task_event(kernel, project, "after bob")
    # A late (re-)dispatch of the old event must not reach bob either.
    with kernel.connection():
        fan_out(kernel, Event.get_by_id(before_joining))
        kernel.jobs.flush_after_commit()
    titles = [json.loads(r.body)["data"].get("task", {}).get("title") for r in receiver.requests]
    assert types_received(receiver) == ["member.added", "task.created", "member.removed"]
    assert titles[1] == "while bob"
    assert len(deliveries(kernel, bob_hook["id"])) == 3


def test_scoped_webhook_gets_only_its_project(kernel: Kernel, api: Api,
                                              receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    first = make_project(kernel, user_id(ada), name="first")
    second = make_project(kernel, user_id(ada), name="second")
    create_webhook(ada, receiver.url, ["task.created"], project=second)
    task_event(kernel, first)
    task_event(kernel, second)
    [request] = receiver.requests
    assert json.loads(request.body)["data"]["task"]["project"]["id"] == second


def test_deleted_project_still_reaches_its_last_members(kernel: Kernel, api: Api,
                                                        receiver: Receiver) -> None:
    ada, bob, eve = (api.as_new_user(name) for name in ("ada", "bob", "eve"))
    create_webhook(bob, receiver.url, ["project.deleted"])
    other = Receiver()
    try:
        create_webhook(eve, other.url, ["project.deleted"])
        project = make_project(kernel, user_id(ada), members=(user_id(bob),))
        with kernel.connection():
            Project.delete().where(Project.id == project).execute()
        emit(kernel, "project.deleted", {"project": {"id": project, "name": "Apollo", "owner": {
            "id": user_id(ada), "username": "ada"}}}, actor=user_id(ada), project=project)
        assert types_received(receiver) == ["project.deleted"]
        assert other.requests == []
    finally:
        other.close()


def test_events_without_project_reach_only_the_user_concerned(kernel: Kernel, api: Api,
                                                              receiver: Receiver) -> None:
    ada, eve = api.as_new_user("ada"), api.as_new_user("eve")
    ada_hook = create_webhook(ada, receiver.url, ["auth.*", "user.*"])
    other = Receiver()
    try:
        eve_hook = create_webhook(eve, other.url, ["*"])
        api.post("/api/auth/login/", {"username": "ada", "password": "wrong-password-1"})
        api.post("/api/auth/login/", {"username": "ghost", "password": "wrong-password-1"})
        login_types = types_received(receiver)
        assert login_types == ["auth.login_failed"]
        assert json.loads(receiver.requests[0].body)["data"]["user"]["id"] == user_id(ada)
        assert all(json.loads(r.body)["data"].get("user", {}).get("id") != user_id(ada)
                   for r in other.requests)
        assert len(deliveries(kernel, eve_hook["id"])) == len(other.requests)
        assert len(deliveries(kernel, ada_hook["id"])) == 1
    finally:
        other.close()


def test_dispatching_an_event_twice_creates_one_delivery(kernel: Kernel, api: Api,
                                                         receiver: Receiver) -> None:
    ada = api.as_new_user("ada")
    hook = create_webhook(ada, receiver.url, ["task.created"])
    project = make_project(kernel, user_id(ada))
    event_id = task_event(kernel, project)
    with kernel.connection():
        event = Event.get_by_id(event_id)
        for _ in range(3):
            with kernel.db.atomic():
                fan_out(kernel, event)
            kernel.jobs.flush_after_commit()
        kernel.events.dispatch(event_id)
    assert len(deliveries(kernel, hook["id"])) == 1
    assert len(receiver.requests) == 1


def test_inactive_webhooks_and_inactive_owners_receive_nothing(kernel: Kernel, api: Api,
                                                               receiver: Receiver) -> None:
    ada, bob = api.as_new_user("ada"), api.as_new_user("bob")
    create_webhook(ada, receiver.url, ["task.created"], is_active=False)
    create_webhook(bob, receiver.url, ["task.created"])
    project = make_project(kernel, user_id(ada), members=(user_id(bob),))
    with kernel.connection():
        User.update(is_active=False).where(User.id == user_id(bob)).execute()
    task_event(kernel, project)
    assert receiver.requests == []
    assert deliveries(kernel) == []

"""Edge values into every number, decimal, id and date field of every endpoint: never a 500.

The endpoints come from the route table of an app with every bundled plugin,
so a new endpoint (or a new field) is covered without touching this file.
Each field type has a table of edge values and an oracle saying whether the
value is in range for that field's declared bounds: out-of-range values must
get a 400 naming the field, in-range ones anything but a 5xx. Runs on SQLite
and, with ``SYNERGY_TEST_DATABASE_URL``, on PostgreSQL (where an integer past
32 bits or a far date reaching the database would be an error too).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import synergy_messaging.plugin as messaging_plugin
import synergy_notifications.plugin as notifications_plugin
import synergy_security.plugin as security_plugin
import synergy_webhooks.plugin as webhooks_plugin

from synergy.app import Kernel
from synergy.http.pagination import PAGE_FIELDS
from synergy.schema import (
    DATE_MAX,
    DATE_MIN,
    Date,
    DateTime,
    DecimalNumber,
    Field,
    Integer,
    List,
    Nested,
    Schema,
)
from tests.conftest import Api

PLUGINS = [security_plugin, webhooks_plugin, messaging_plugin, notifications_plugin]

INTEGER_EDGES: list[Any] = [
    0, -1, 1, 2**31 - 1, 2**31, -(2**31) - 1, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1,
    2**64, 2**64 + 1, 10**30, True, False, 1.0, 1.5, -0.0, 1e300, "1", "²", "١٢", "NaN",
    "Infinity", "-Infinity", "", [1], {"a": 1},
]
QUERY_INTEGER_EDGES = [
    "0", "-1", "1", "2147483647", "2147483648", "-2147483649", "9223372036854775807",
    "9223372036854775808", "-9223372036854775809", "18446744073709551616", "9" * 5000,
    "²", "١٢", "1.0", "1e3", "0x10", "1_000", "true", "NaN", "Infinity", "-Infinity", " ",
    "+1",
]
DECIMAL_EDGES: list[Any] = [
    1e26, "1e26", "1e100", "-1e100", "1E+999999999", "1e-300", 1e-300, "1e-999999999",
    "NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "²", "١٢", "1_000", "0x10", "",
    " ", "1,5", "9" * 5000, True, [1], {"a": 1}, -1, "-0.01", 10**30, 2**64 + 1,
]
FAR_DATES = ["9999-12-31", "0001-01-01", "1899-12-31", "3000-01-01", "2026-02-30",
             "٢٠٢٦-٠١-٠١", "20260101", "2026-W01-1", "", "  "]
DATE_EDGES: list[Any] = [*FAR_DATES, 20260101, True, ["2026-01-01"]]
DATETIME_EDGES: list[Any] = [
    "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59.999999",
    "0001-01-01T00:00:00", "2999-12-31T23:59:59-01:00", "1900-01-01T00:00:00+01:00",
    "2026-01-01T00:00:00+25:00", "2026-13-01T00:00:00", "2026-01-01T24:00:00",
    "٢٠٢٦-01-01T00:00:00", "2026-01-01T00:00:00" + " " * 100, *FAR_DATES, 1_700_000_000,
    True, None,
]


@dataclass(frozen=True)
class Target:
    """One field reachable from one endpoint: where it goes and how to send a value."""

    method: str
    path: str
    where: str  # "body" or "query"
    name: str  # the top-level name the error must report
    field: Field
    wrap: Callable[[Any], Any]


def _leaf_fields(name: str, field: Field, wrap: Callable[[Any], Any]) -> Iterator[
        tuple[Field, Callable[[Any], Any]]]:
    """The scalar fields under ``field``, each with the wrapping that reaches it."""
    if isinstance(field, List):
        yield from _leaf_fields(name, field.item, lambda value: wrap([value]))
    elif isinstance(field, Nested):
        for inner_name, inner in field.schema.fields.items():
            if not inner.read_only:
                yield from _leaf_fields(
                    inner_name, inner,
                    lambda value, key=inner_name: wrap({key: value}))
    else:
        yield field, wrap


def _path(template: str, id_value: str = "1", at: int | None = None) -> str:
    """A concrete path for a route template: converters decide what a placeholder takes.

    The id placeholder number ``at`` (counting from 0) gets ``id_value``, the others 1.
    """
    parts = []
    ids = 0
    for part in template.split("/"):
        if part.startswith("{"):
            converter = part.strip("{}").partition(":")[2]
            if converter.startswith(("int", "id")):
                part = id_value if at in (None, ids) else "1"
                ids += 1
            else:
                part = str(uuid.uuid4()) if converter.startswith("uuid") else "x"
        parts.append(part)
    return "/".join(parts) + "/"


def targets(kernel: Kernel) -> list[Target]:
    found = []
    for route in kernel.routes.routes:
        path = _path(route.path)
        for method, spec in route.methods.items():
            schemas: list[tuple[str, type[Schema] | None]] = [("body", spec.body),
                                                               ("query", spec.query)]
            for where, schema in schemas:
                if schema is None:
                    continue
                for name, field in schema.fields.items():
                    if field.read_only:
                        continue
                    for leaf, wrap in _leaf_fields(name, field, lambda value: value):
                        found.append(Target(method, path, where, name, leaf, wrap))
            if spec.many:
                found += [Target(method, path, "query", name, field, lambda value: value)
                          for name, field in PAGE_FIELDS.items()]
    return [target for target in found
            if isinstance(target.field, (Integer, DecimalNumber, Date, DateTime))]


def _integer_ok(field: Integer, value: Any) -> bool:
    return type(value) is int and field.minimum <= value <= field.maximum


def _query_integer_ok(field: Integer, text: str) -> bool:
    digits = text.removeprefix("-").removeprefix("+")
    return (text.isascii() and digits.isdigit() and len(digits) < 20
            and field.minimum <= int(text) <= field.maximum)


def _date_ok(field: Date | DateTime, value: Any) -> bool:
    """Only plain in-range values without offset are valid among the edges above."""
    if not isinstance(value, str) or not value.isascii() or value != value.strip():
        return False
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    if parsed.tzinfo is not None or not field.minimum <= parsed.date() <= field.maximum:
        return False
    return isinstance(field, DateTime) or len(value) == 10


def edges(target: Target) -> list[tuple[Any, bool]]:
    """(value, valid) pairs for the target's field type."""
    field = target.field
    if isinstance(field, Integer):
        if target.where == "query":
            return [(text, _query_integer_ok(field, text)) for text in QUERY_INTEGER_EDGES]
        return [(value, _integer_ok(field, value)) for value in INTEGER_EDGES]
    if isinstance(field, DecimalNumber):
        # Every decimal edge is out of range; negatives only where the field refuses them.
        allows_negative = field.minimum is None or field.minimum < 0
        return [(value, False) for value in DECIMAL_EDGES
                if not (allows_negative and value in (-1, "-0.01"))]
    values = DATETIME_EDGES if isinstance(field, DateTime) else DATE_EDGES
    if target.where == "query":
        values = [value for value in values if isinstance(value, str)]
    values = [value for value in values if value is not None or not field.nullable]
    return [(value, _date_ok(field, value)) for value in values]


def _send(client: Api, target: Target, value: Any) -> Any:
    if target.where == "query":
        return client.request(target.method, target.path, query_string=f"{target.name}="
                              + value.replace("+", "%2B").replace(" ", "%20"))
    body = json.dumps({target.name: target.wrap(value)}).encode()
    return client.request(target.method, target.path, body=body,
                          headers={"Content-Type": "application/json"})


@pytest.fixture
def every_plugin_app(make_app: Callable[..., Kernel]) -> Kernel:
    return make_app(PLUGINS, SYNERGY_SECURITY_RATE_LIMITS=False)


def test_every_numeric_id_and_date_field_is_covered(every_plugin_app: Kernel) -> None:
    """The enumeration finds the fields the issue named, so an empty table cannot pass."""
    found = {(target.path, target.method, target.name) for target in targets(every_plugin_app)}
    for expected in [("/api/projects/", "POST", "budget"), ("/api/tasks/1/", "PUT", "impact"),
                     ("/api/tasks/1/", "PATCH", "estimated_hours"),
                     ("/api/tasks/bulk_update/", "POST", "updates"),
                     ("/api/tasks/", "GET", "project"), ("/api/tasks/", "GET", "page"),
                     ("/api/auth/security-events/", "GET", "date_from"),
                     ("/api/security/summary/", "GET", "date_to")]:
        assert expected in found, expected
    assert any(path.endswith("/recover/") and name == "since" for path, _, name in found)


def test_edge_values_get_a_400_naming_the_field_never_a_500(every_plugin_app: Kernel) -> None:
    staff = Api(every_plugin_app).as_new_user("stella", staff=True)
    problems = []
    checked = 0
    for target in targets(every_plugin_app):
        for value, valid in edges(target):
            result = _send(staff, target, value)
            checked += 1
            label = f"{target.method} {target.path} {target.where} {target.name}={value!r:.40}"
            if result.status_code >= 500:
                problems.append(f"{label}: {result.status_code} {result.text[:160]}")
            elif not valid:
                error = result.json.get("error") if isinstance(result.json, dict) else None
                if result.status_code != 400 or error is None \
                        or target.name not in error["fields"]:
                    problems.append(f"{label}: expected 400 naming {target.name}, got "
                                    f"{result.status_code} {result.text[:160]}")
    assert checked > 500
    assert not problems, f"{len(problems)} of {checked}:\n" + "\n".join(problems[:60])


PATH_ID_EDGES = ["0", "-1", "+1", "01", "1_0", " 1", "1.0", "1e3", "²", "١", "١٢", "2147483648",
                 "9223372036854775808", "18446744073709551616", "9" * 400, "0x1", "true"]


def test_path_ids_convert_in_the_schema_layer(every_plugin_app: Kernel) -> None:
    """Every id in a path takes one spelling only: other spellings and ids past 32 bits are
    404 on every route and method, never another spelling of id 1 and never a 500."""
    staff = Api(every_plugin_app).as_new_user("stella", staff=True)
    project = staff.post("/api/projects/", {"name": "Id one"}).json
    task = staff.post("/api/tasks/", {"project": project["id"], "title": "Id one"}).json
    assert project["id"] == task["id"] == 1  # so a second spelling of 1 would find them
    problems = []
    routes = [route for route in every_plugin_app.routes.routes if "{" in route.path]
    for route in routes:
        converters = [part.partition(":")[2] for part in route.path.split("/")
                      if part.startswith("{")]
        if any(converter.startswith("int") for converter in converters):
            problems.append(f"{route.path}: use the id converter, not Falcon's int")
        for index in range(sum(converter.startswith(("int", "id"))
                               for converter in converters)):
            for value in PATH_ID_EDGES:
                for method in route.methods:
                    result = staff.request(method, _path(route.path, value, index))
                    if result.status_code != 404:
                        problems.append(f"{method} {_path(route.path, value, index)}: "
                                        f"{result.status_code} {result.text[:120]}")
    assert routes and not problems, "\n".join(problems[:40])


@pytest.mark.parametrize("field", [Date(), DateTime()])
def test_date_bounds_leave_room_for_offsets_and_day_arithmetic(field: Field) -> None:
    """The bounds are what keeps ``+ timedelta(days=1)`` and a UTC shift from overflowing."""
    assert DATE_MIN - dt.timedelta(days=400) > dt.date.min
    assert DATE_MAX + dt.timedelta(days=400) < dt.date.max
    assert (field.minimum, field.maximum) == (DATE_MIN, DATE_MAX)


@pytest.mark.parametrize(("path", "query", "status"), [
    ("/api/auth/security-events/", "user=²", 200),  # not ASCII digits: a username
    ("/api/auth/security-events/", "user=١٢", 200),
    ("/api/auth/security-events/", "user=12", 200),
    ("/api/auth/security-events/", "user=9223372036854775808", 400),
    ("/api/auth/security-events/", "user=" + "9" * 5000, 400),
    ("/api/tasks/", "assignee=me", 200),
    ("/api/tasks/", "assignee=²", 400),
    ("/api/tasks/", "assignee=١٢", 400),
    ("/api/tasks/", "assignee=0", 400),
    ("/api/tasks/", "assignee=9223372036854775808", 400),
])
def test_id_or_name_filters_convert_in_the_schema(every_plugin_app: Kernel, path: str,
                                                  query: str, status: int) -> None:
    """Fields that take an id or a word: ``str.isdigit`` then ``int`` used to answer 500."""
    staff = Api(every_plugin_app).as_new_user("stella", staff=True)
    result = staff.get(path, query_string=query)
    assert result.status_code == status, result.text
    if status == 400:
        assert query.split("=")[0] in result.json["error"]["fields"]

"""Dependency ranges are what CI tested, and cannot drift from it.

``.ci/run`` proves the lower bounds by installing ``.ci/constraints-lowest.txt`` and running the
suite; that only proves setup.cfg's ranges while the file pins exactly their lower bounds. The
upper bounds keep an untested major (or, for peewee, minor) release out; see setup.cfg.
"""

from __future__ import annotations

import configparser

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.platform.conftest import REPOSITORY

CONSTRAINTS = REPOSITORY / ".ci" / "constraints-lowest.txt"
# Calendar-versioned: the first number is the year, not a compatibility promise.
CALENDAR_VERSIONED = {"argon2-cffi", "packaging"}


def direct_dependencies() -> list[Requirement]:
    """``install_requires`` and the ``test`` extra: everything CI installs by name."""
    config = configparser.ConfigParser()
    config.read(REPOSITORY / "setup.cfg")
    lines = [*config["options"]["install_requires"].splitlines(),
             *config["options.extras_require"]["test"].splitlines()]
    return [Requirement(line) for line in lines if line.strip()]


def lower_bound(requirement: Requirement) -> Version:
    bounds = [Version(spec.version) for spec in requirement.specifier
              if spec.operator in (">=", "==")]
    assert len(bounds) == 1, f"{requirement}: declare one lower bound (>= or ==)"
    return bounds[0]


def pinned_versions() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in CONSTRAINTS.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        requirement = Requirement(line)
        [spec] = requirement.specifier
        assert spec.operator == "==", f"{line}: pin with =="
        pins[canonicalize_name(requirement.name)] = Version(spec.version)
    return pins


def test_constraints_pin_exactly_the_declared_lower_bounds() -> None:
    declared = {canonicalize_name(req.name): lower_bound(req) for req in direct_dependencies()}
    assert pinned_versions() == declared, (
        "setup.cfg's lower bounds and .ci/constraints-lowest.txt differ: change both together")


def test_every_dependency_has_an_upper_bound_unless_calendar_versioned() -> None:
    uncapped = {canonicalize_name(req.name) for req in direct_dependencies()
                if not any(spec.operator in ("<", "==") for spec in req.specifier)}
    assert uncapped == CALENDAR_VERSIONED


def test_ci_installs_the_lowest_versions() -> None:
    script = (REPOSITORY / ".ci" / "run").read_text()
    assert 'PIP_CONSTRAINT="$PWD/.ci/constraints-lowest.txt"' in script

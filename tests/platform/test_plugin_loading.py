"""Loading plugins: entry points one by one, failures reported or fatal, block list, collisions."""

from __future__ import annotations

import logging
import types
from collections.abc import Callable

import pytest

from synergy import create_app
from synergy.app import Kernel
from synergy.errors import PluginError
from synergy.plugin_manager import PluginHost
from synergy.settings import Settings
from tests.plugins import (
    every_hook,
    kernel_route_clash,
    shared_route_a,
    shared_route_b,
    shared_route_c,
    undecorated_responder,
)

BAD_PLUGINS = {
    "broken": "tests.plugins.broken_import",
    "futuristic": "tests.plugins.incompatible_kernel",
    "misspelled": "tests.plugins.misspelled_hook",
    "undecorated": "tests.plugins.undecorated_hook",
}


def build(make_settings: Callable[..., Settings], **overrides: object) -> Kernel:
    kernel = create_app(make_settings(**overrides), load_entrypoints=True)
    with kernel.connection():
        kernel.migrate()
    return kernel


def test_entry_points_load_with_distribution_version(install_entry_points, make_settings) -> None:
    others = install_entry_points({"every_hook": "tests.plugins.every_hook"})
    kernel = build(make_settings, SYNERGY_DISABLED_PLUGINS=others)
    try:
        info = kernel.plugins.info["every_hook"]
        assert (info.source, info.version, info.module) == (
            "entry point", "1.2.3", "tests.plugins.every_hook")
        assert list(kernel.plugins.info) == ["kernel", "every_hook"]
        assert kernel.plugins.errors == []
    finally:
        kernel.close()


def test_bad_plugins_are_reported_and_skipped(install_entry_points, make_settings,
                                             caplog: pytest.LogCaptureFixture) -> None:
    others = install_entry_points({**BAD_PLUGINS, "every_hook": "tests.plugins.every_hook"})
    with caplog.at_level(logging.ERROR, logger="synergy.plugins"):
        kernel = build(make_settings, SYNERGY_DISABLED_PLUGINS=others,
                       SYNERGY_STRICT_PLUGINS=False)
    try:
        errors = {error.name: error.error for error in kernel.plugins.errors}
        assert set(errors) == set(BAD_PLUGINS)
        assert "import failed: ImportError" in errors["broken"]
        assert "a_library_nobody_installed" in errors["broken"]
        assert "requires kernel >=99.0, this is 0.1.0" in errors["futuristic"]
        assert "unknown hook(s) synergy_route;" in errors["misspelled"]
        assert "synergy_routes look(s) like hook implementations" in errors["undecorated"]
        # Skipped means absent: nothing of theirs is registered, the good plugin still works.
        assert list(kernel.plugins.info) == ["kernel", "every_hook"]
        assert not kernel.plugins.pm.hook.synergy_route.get_hookimpls()
        assert all(f"plugin {name} skipped" in caplog.text for name in BAD_PLUGINS)
    finally:
        kernel.close()


@pytest.mark.parametrize(("name", "message"), [
    ("broken", "import failed"),
    ("futuristic", "requires kernel >=99.0"),
    ("misspelled", "unknown hook(s) synergy_route"),
    ("undecorated", "lack the @hookimpl decorator"),
])
def test_strict_mode_makes_a_bad_plugin_fatal(install_entry_points, make_settings,
                                             name: str, message: str) -> None:
    others = install_entry_points({name: BAD_PLUGINS[name]})
    with pytest.raises(PluginError, match=r"plugin \w+: .*SYNERGY_STRICT_PLUGINS") as raised:
        create_app(make_settings(SYNERGY_DISABLED_PLUGINS=others, SYNERGY_STRICT_PLUGINS=True),
                   load_entrypoints=True)
    assert f"plugin {name}: " in str(raised.value) and message in str(raised.value)


def test_block_list_disables_by_name(install_entry_points, make_settings) -> None:
    others = install_entry_points({"every_hook": "tests.plugins.every_hook", **BAD_PLUGINS})
    blocked = ",".join(filter(None, [others, "every_hook", *BAD_PLUGINS]))
    kernel = create_app(make_settings(SYNERGY_DISABLED_PLUGINS=blocked),
                        load_entrypoints=True)
    try:
        assert list(kernel.plugins.info) == ["kernel"]
        assert kernel.plugins.errors == []
        assert "/api/every-hook/stopwatches" not in [r.path for r in kernel.routes.routes]
    finally:
        kernel.close()


def test_block_list_applies_to_explicit_plugins_too(make_app: Callable[..., Kernel]) -> None:
    kernel = make_app([every_hook], SYNERGY_DISABLED_PLUGINS="every_hook")
    assert list(kernel.plugins.info) == ["kernel"]


def test_one_name_from_two_distributions_is_an_error(install_entry_points,
                                                     make_settings) -> None:
    others = install_entry_points({"every_hook": "tests.plugins.every_hook"})
    install_entry_points({"every_hook": "tests.plugins.every_hook"}, "another-distribution")
    kernel = create_app(make_settings(SYNERGY_DISABLED_PLUGINS=others,
                                      SYNERGY_STRICT_PLUGINS=False), load_entrypoints=True)
    try:
        [error] = kernel.plugins.errors
        assert error.name == "every_hook"
        assert "installed twice" in error.error and "another-distribution" in error.error
    finally:
        kernel.close()


def test_plugin_names_must_be_identifiers(install_entry_points, make_settings) -> None:
    others = install_entry_points({"Every-Hook": "tests.plugins.every_hook"})
    with pytest.raises(PluginError, match="lower-case identifiers"):
        create_app(make_settings(SYNERGY_DISABLED_PLUGINS=others), load_entrypoints=True)


def test_route_colliding_with_the_kernel_names_both(make_app: Callable[..., Kernel]) -> None:
    with pytest.raises(PluginError) as raised:
        make_app([kernel_route_clash])
    assert str(raised.value) == ("route collision: kernel_route_clash wants /api/plugins, "
                                 "already served by kernel (/api/plugins)")


def test_same_route_in_two_plugins_names_both(make_app: Callable[..., Kernel]) -> None:
    with pytest.raises(PluginError) as raised:
        make_app([shared_route_a, shared_route_b])
    assert str(raised.value) == ("route collision: shared_route_b wants /api/shared/{pk:int}, "
                                 "already served by shared_route_a (/api/shared/{item_id})")


def test_conflicting_field_names_name_both(make_app: Callable[..., Kernel]) -> None:
    with pytest.raises(PluginError) as raised:
        make_app([shared_route_a, shared_route_c])
    message = str(raised.value)
    assert message.startswith("route collision: shared_route_c wants /api/shared/{owner}/children"
                              ", conflicts with shared_route_a (/api/shared/{item_id}):")


def test_distinct_routes_of_two_plugins_coexist(make_app: Callable[..., Kernel]) -> None:
    from tests.conftest import Api

    kernel = make_app([shared_route_a, every_hook])
    result = Api(kernel).get("/api/shared/42/")
    assert result.status_code == 200 and result.json == {"hello": {"item_id": "42"}}


def test_undecorated_responder_is_refused(make_app: Callable[..., Kernel]) -> None:
    with pytest.raises(PluginError, match=r"plugin undecorated_responder: Undecorated.on_get "
                                          r"for /api/undecorated is not decorated with "
                                          r"@synergy.http.endpoint"):
        make_app([undecorated_responder])


def test_explicit_plugins_accept_dotted_paths(make_app: Callable[..., Kernel]) -> None:
    kernel = make_app(["tests.plugins.every_hook"])
    assert kernel.plugins.info["every_hook"].source == "explicit"


def _module(name: str, requirement: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.SYNERGY_KERNEL = requirement
    return module


def test_kernel_ranges_accept_development_kernels_and_reject_nonsense() -> None:
    host = PluginHost(kernel_version="0.2.0.dev1")
    assert host.add(_module("fits", ">=0.1,<1")) is True
    assert host.add(_module("too_new", ">=0.3")) is False
    assert host.add(_module("garbled", "around 0.2")) is False
    assert {error.name: error.error for error in host.errors} == {
        "too_new": "requires kernel >=0.3, this is 0.2.0.dev1",
        "garbled": "SYNERGY_KERNEL 'around 0.2' is not a version range"}

"""Start-up and shut-down hooks: a plugin may refuse to start, and failures are isolated."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from synergy import hookimpl
from synergy.app import Kernel
from synergy.errors import ConfigurationError


class RefusesToStart:
    PLUGIN_NAME = "picky"

    @hookimpl
    def synergy_startup(self, kernel: Any) -> None:
        raise ConfigurationError("SYNERGY_PICKY_TOKEN is not set")


class BreaksOnStartup:
    PLUGIN_NAME = "clumsy"

    def __init__(self) -> None:
        self.shutdowns = 0

    @hookimpl
    def synergy_startup(self, kernel: Any) -> None:
        raise RuntimeError("bug in a plugin")

    @hookimpl
    def synergy_shutdown(self, kernel: Any) -> None:
        self.shutdowns += 1


def test_configuration_error_in_startup_refuses_to_start(
        make_app: Callable[..., Kernel]) -> None:
    with pytest.raises(ConfigurationError, match="plugin picky: SYNERGY_PICKY_TOKEN is not set"):
        make_app([RefusesToStart()], migrate=False)


def test_other_startup_errors_are_logged_and_isolated(make_app: Callable[..., Kernel],
                                                      caplog: pytest.LogCaptureFixture) -> None:
    plugin = BreaksOnStartup()
    kernel = make_app([plugin], migrate=False)
    assert "plugin clumsy failed in synergy_startup" in caplog.text
    kernel.close()
    assert plugin.shutdowns == 1

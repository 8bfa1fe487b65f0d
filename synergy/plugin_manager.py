"""Finding, loading and introspecting plugins.

Each entry point of the ``synergy.plugins`` group is loaded on its own: a
plugin that fails to import, requires another kernel version, or implements
a hook that does not exist (a misspelling) is recorded and skipped, or stops
start-up in strict mode. Nothing here is global: every app owns its manager.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pluggy
import synergy_hookspecs
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from synergy.errors import ConfigurationError, PluginError

log = logging.getLogger("synergy.plugins")

ENTRY_POINT_GROUP = "synergy.plugins"
# Plugin names become job prefixes ("<plugin>.<job>") and setting names
# (SYNERGY_<PLUGIN>_<NAME>), so they must be plain lower-case identifiers.
_VALID_NAME = re.compile(r"[a-z][a-z0-9_]*")
_HOOK_PREFIX = "synergy_"


@dataclass
class PluginInfo:
    name: str
    version: str
    module: str
    source: str
    hooks: list[str] = field(default_factory=list)


@dataclass
class LoadError:
    name: str
    error: str


def call_impl(impl: pluggy.HookImpl, **kwargs: Any) -> Any:
    """Call one hook implementation with the arguments it names, as pluggy would."""
    return impl.function(**{name: kwargs[name] for name in impl.argnames if name in kwargs})


def _plugin_name(plugin: Any) -> str:
    explicit = getattr(plugin, "PLUGIN_NAME", None)
    if explicit:
        return str(explicit)
    name = getattr(plugin, "__name__", None) or type(plugin).__name__
    return name.rsplit(".", 1)[-1]


def _plugin_version(plugin: Any, distribution: str | None) -> str:
    version = getattr(plugin, "__version__", None)
    if version:
        return str(version)
    if distribution:
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            pass
    return "unknown"


class PluginHost:
    """The app's pluggy manager plus what was loaded, from where, and what failed."""

    def __init__(self, *, kernel_version: str, disabled: Iterable[str] = (),
                 strict: bool = False) -> None:
        self.pm = pluggy.PluginManager(synergy_hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(synergy_hookspecs)
        self.kernel_version = Version(kernel_version)
        self.disabled = set(disabled)
        self.strict = strict
        self.info: dict[str, PluginInfo] = {}
        self.errors: list[LoadError] = []

    # Loading ------------------------------------------------------------------------

    def add(self, plugin: Any, *, name: str | None = None, source: str = "explicit",
            distribution: str | None = None) -> bool:
        """Register one plugin; returns False (and records why) when it was refused."""
        name = name or _plugin_name(plugin)
        if name in self.disabled:
            log.info("plugin %s is disabled by SYNERGY_DISABLED_PLUGINS", name)
            return False
        if not _VALID_NAME.fullmatch(name):
            return self._fail(name, "plugin names must be lower-case identifiers "
                                    "(letters, digits, underscores), e.g. 'timesheets'")
        if name in self.info:
            return self._fail(name, f"a plugin named {name!r} is already loaded "
                                    f"({self.info[name].module})")
        requirement = getattr(plugin, "SYNERGY_KERNEL", None)
        if requirement:
            try:
                # prereleases=True: a development kernel (0.2.0.dev1) still satisfies >=0.1.
                accepted = SpecifierSet(requirement).contains(self.kernel_version,
                                                              prereleases=True)
            except InvalidSpecifier:
                return self._fail(name, f"SYNERGY_KERNEL {requirement!r} is not a version range")
            if not accepted:
                return self._fail(name, f"requires kernel {requirement}, this is "
                                        f"{self.kernel_version}")
        try:
            self.pm.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            return self._fail(name, f"invalid hook implementation: {exc}")
        unknown = [caller.name for caller in self.pm.get_hookcallers(plugin) or []
                   if caller.spec is None]
        if unknown:
            self.pm.unregister(plugin)
            return self._fail(name, f"implements unknown hook(s) {', '.join(unknown)}; "
                                    "check the spelling against synergy_hookspecs")
        hooks = sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or [])
        undecorated = _undecorated_hooks(plugin, hooks)
        if undecorated:
            self.pm.unregister(plugin)
            return self._fail(name, f"{', '.join(undecorated)} look(s) like hook "
                                    "implementations but lack the @hookimpl decorator")
        module = getattr(plugin, "__name__", type(plugin).__module__)
        self.info[name] = PluginInfo(name=name, version=_plugin_version(plugin, distribution),
                                     module=module, source=source, hooks=hooks)
        return True

    def load_entry_points(self) -> None:
        """Load each ``synergy.plugins`` entry point on its own, in name order.

        A name registered explicitly (``create_app(plugins=...)``) wins over an
        installed entry point of the same name; two installed distributions
        claiming one name is a load error, since either choice would be a guess.
        """
        seen: dict[str, str | None] = {}
        for entry_point in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP),
                                  key=lambda ep: ep.name):
            distribution = entry_point.dist.name if entry_point.dist else None
            if entry_point.name in self.disabled:
                log.info("plugin %s is disabled by SYNERGY_DISABLED_PLUGINS", entry_point.name)
                continue
            if entry_point.name in seen:
                if seen[entry_point.name] != distribution:
                    self._fail(entry_point.name, f"installed twice: by {seen[entry_point.name]} "
                                                 f"and by {distribution}; uninstall one")
                continue
            seen[entry_point.name] = distribution
            if entry_point.name in self.info:
                continue
            try:
                plugin = entry_point.load()
            except Exception as exc:
                self._fail(entry_point.name, f"import failed: {type(exc).__name__}: {exc}")
                continue
            self.add(plugin, name=entry_point.name, source="entry point",
                     distribution=distribution)

    def _fail(self, name: str, message: str) -> bool:
        if self.strict:
            raise PluginError(f"plugin {name}: {message} (SYNERGY_STRICT_PLUGINS is on)")
        log.error("plugin %s skipped: %s", name, message)
        self.errors.append(LoadError(name=name, error=message))
        return False

    # Calling ------------------------------------------------------------------------

    def collect(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call every implementation of a list-returning hook; pairs (plugin, item).

        Implementations run in registration order (kernel first), so contributions
        such as routes and migrations come out in a stable order.
        """
        caller = getattr(self.pm.hook, hook_name)
        collected: list[tuple[str, Any]] = []
        for impl in caller.get_hookimpls():
            result = call_impl(impl, **kwargs)
            if result is None:
                continue
            for item in result:
                collected.append((impl.plugin_name, item))
        return collected

    def call_each(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call every implementation, isolating failures (lifecycle hooks).

        A :class:`ConfigurationError` is the documented way for a plugin to
        refuse start-up, so it propagates; anything else is logged and the
        other plugins still run.
        """
        caller = getattr(self.pm.hook, hook_name)
        results = []
        for impl in caller.get_hookimpls():
            try:
                results.append((impl.plugin_name, call_impl(impl, **kwargs)))
            except ConfigurationError as exc:
                raise ConfigurationError(f"plugin {impl.plugin_name}: {exc}") from exc
            except Exception:
                log.exception("plugin %s failed in %s", impl.plugin_name, hook_name)
        return results

    def names(self) -> list[str]:
        return list(self.info)


def _undecorated_hooks(plugin: Any, registered: list[str]) -> list[str]:
    """Functions named ``synergy_*`` that pluggy would silently ignore for want of @hookimpl."""
    return sorted(
        attribute for attribute in dir(plugin)
        if attribute.startswith(_HOOK_PREFIX) and attribute not in registered
        and inspect.isroutine(getattr(plugin, attribute, None)))


def module_plugins(plugins: Iterable[Any] | None) -> list[Any]:
    """Accept modules, objects or dotted import paths for ``create_app(plugins=...)``."""
    loaded = []
    for plugin in plugins or ():
        if isinstance(plugin, str):
            plugin = importlib.import_module(plugin)
        loaded.append(plugin)
    return loaded


__all__ = ["LoadError", "PluginHost", "PluginInfo", "call_impl", "module_plugins"]

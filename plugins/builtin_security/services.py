"""The plugin's per-app state: counters, lockout and policies, built once per kernel.

Tests build many apps in one process, so nothing is module-global: state is
kept per kernel in a weak mapping and disappears with the app.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from synergy_security.api_budget import ApiBudget
from synergy_security.config import Rate, RoutePolicy, api_rate, route_policies
from synergy_security.counters import CounterStore, make_counters
from synergy_security.lockout import Lockout


@dataclass
class SecurityServices:
    counters: CounterStore
    api_budget: ApiBudget
    lockout: Lockout
    policies: list[RoutePolicy]
    api_rate: Rate | None


_BY_KERNEL: weakref.WeakKeyDictionary[Any, SecurityServices] = weakref.WeakKeyDictionary()


def services(kernel: Any) -> SecurityServices:
    found = _BY_KERNEL.get(kernel)
    if found is None:
        counters = make_counters(kernel)
        found = SecurityServices(counters=counters, api_budget=ApiBudget(counters),
                                 lockout=Lockout(kernel.settings, counters,
                                                 kernel.backing_services),
                                 policies=route_policies(kernel.settings,
                                                          kernel.routes),
                                 api_rate=api_rate(kernel.settings))
        _BY_KERNEL[kernel] = found
    return found

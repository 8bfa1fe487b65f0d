"""SynergyOS: a self-hosted project-management kernel extended by plugins.

The names exported here are the public contract for plugin authors; anything
else under ``synergy.`` may change between minor versions.
"""

__version__ = "0.1.0"

from synergy_hookspecs import hookimpl  # noqa: E402

from synergy.app import Kernel, create_app  # noqa: E402
from synergy.backing_services import Failure, Use  # noqa: E402
from synergy.contributions import (  # noqa: E402
    Command,
    EventType,
    Job,
    Migration,
    Route,
)
from synergy.settings import Setting, Settings  # noqa: E402

__all__ = [
    "Command",
    "EventType",
    "Failure",
    "Job",
    "Kernel",
    "Migration",
    "Route",
    "Setting",
    "Settings",
    "Use",
    "__version__",
    "create_app",
    "hookimpl",
]

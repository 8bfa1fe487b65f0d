"""What is installed: the data behind ``GET /api/plugins/`` and ``synergy plugins``.

One description serves both so the command line and the API can never
disagree about what a running installation contains.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synergy.routing import public_path

if TYPE_CHECKING:
    from synergy.app import Kernel


def describe_plugins(kernel: Kernel) -> dict[str, Any]:
    """Every loaded plugin with its contributions, plus the plugins that failed to load."""
    statuses = kernel.migrations.status()
    jobs = kernel.jobs.describe()
    plugins = []
    for name, info in kernel.plugins.info.items():
        plugins.append({
            "name": name,
            "version": info.version,
            "module": info.module,
            "source": info.source,
            "hooks": info.hooks,
            "routes": [{"path": public_path(route.path), "methods": sorted(route.methods)}
                       for route in kernel.routes.for_plugin(name)],
            "models": [model._meta.table_name for plugin, model in kernel.models
                       if plugin == name],
            "migrations": {
                "applied": [s.name for s in statuses if s.plugin == name and s.applied_at],
                "pending": [s.name for s in statuses if s.plugin == name and not s.applied_at],
            },
            "jobs": [{"name": job["name"], "periodic": job["periodic"]}
                     for job in jobs if job["plugin"] == name],
            "event_types": sorted(event for event, (plugin, _) in kernel.events.catalogue.items()
                                  if plugin == name),
        })
    return {
        "kernel_version": kernel.version,
        "plugins": plugins,
        "errors": [{"name": error.name, "error": error.error} for error in kernel.plugins.errors],
    }

"""Permission checks through the ``synergy_permission`` hook (first answer wins).

The kernel's own rules are an implementation registered ``trylast`` in
:mod:`synergy.default_permissions`, so any plugin can grant or deny first.
Unanswered questions are denied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synergy.errors import NotFound, PermissionDenied

if TYPE_CHECKING:
    from synergy.app import Kernel


class Permissions:
    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel

    def allowed(self, user: Any, action: str, obj: Any = None, request: Any = None) -> bool:
        answer = self.kernel.plugins.pm.hook.synergy_permission(
            kernel=self.kernel, user=user, action=action, obj=obj, request=request)
        return bool(answer)

    def require(self, user: Any, action: str, obj: Any = None, request: Any = None,
                *, hide: bool = False) -> None:
        """Raise 403 (or 404 with ``hide``, when the caller must not learn the object exists)."""
        if not self.allowed(user, action, obj, request):
            if hide:
                raise NotFound()
            raise PermissionDenied(f"You may not perform {action} on this object.",
                                   code="permission_denied")

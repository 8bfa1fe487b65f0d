"""Path converters that convert through the schema layer, like every other piece of input."""

from __future__ import annotations

from falcon.routing import BaseConverter

from synergy.schema import MAX_ID, FieldError, Id


class IdConverter(BaseConverter):
    """``{name:id}``: an id from 1 to :data:`synergy.schema.MAX_ID` in plain ASCII digits
    without leading zeros; anything else does not match the route (404).

    Falcon's ``int`` converter calls ``int()``, which also takes "١٢", "+1",
    "01" and "1_0": other spellings of an id reaching the same responder, and
    ids past 32 bits wherever a route forgot ``max=``.
    """

    _field = Id()
    _widest = len(str(MAX_ID))

    def convert(self, value: str) -> int | None:
        if not (value.isascii() and value.isdigit()) or value.startswith("0") \
                or len(value) > self._widest:
            return None
        try:
            return self._field.validate(int(value))
        except FieldError:
            return None

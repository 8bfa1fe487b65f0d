"""Declared request and response shapes.

A :class:`Schema` is declared once and used twice: to validate and convert
incoming JSON (unknown fields rejected, every problem reported per field) and
to describe the same shape as JSON Schema for ``GET /api/openapi.json``.

Example::

    class TaskCreate(Schema):
        title = String(max_length=200)
        impact = DecimalNumber(minimum=0, maximum=100, required=False, default=0)

The schema layer owns every conversion of request input: numbers, decimals,
ids and dates are bounded here (an unbounded field would hand the database or
``datetime`` arithmetic a value it cannot hold), and every conversion problem
becomes a :class:`FieldError`, so bad input is a 400 naming the field, never a 500.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from synergy.errors import ValidationError

MISSING: Any = object()

# Integers default to the range of a 32-bit column (PostgreSQL ``integer``): a field
# that needs more says so with explicit bounds.
INT_MIN = -2_147_483_648
INT_MAX = 2_147_483_647
# Ids are 32-bit serials on PostgreSQL: larger numbers are refused, never a database error.
MAX_ID = INT_MAX
# Dates and date-times default to these bounds: far enough from ``date.min`` and
# ``date.max`` that a time-zone shift or a day of arithmetic can never overflow.
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2999, 12, 31)
# ASCII only: ``str.isdigit``, ``int`` and ``Decimal`` also take "²" or "١٢".
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NOT_FINITE = frozenset({"nan", "snan", "inf", "infinity"})


class FieldError(Exception):
    """Raised by a field's ``convert``; the schema collects it under the field's name."""


class Field:
    """Base field. ``required`` fields must be present unless the schema is validated as
    ``partial`` (PATCH). ``read_only`` fields appear in responses only; sending one is an
    error that names the field."""

    json_type: ClassVar[str] = "string"

    def __init__(
        self,
        *,
        required: bool = True,
        nullable: bool = False,
        default: Any = MISSING,
        description: str = "",
        read_only: bool = False,
    ) -> None:
        self.required = required and default is MISSING and not read_only
        self.nullable = nullable
        self.default = default
        self.description = description
        self.read_only = read_only

    def validate(self, value: Any) -> Any:
        if value is None:
            if self.nullable:
                return None
            raise FieldError("This field may not be null.")
        return self.convert(value)

    def convert(self, value: Any) -> Any:
        return value

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": [self.json_type, "null"] if self.nullable
                                  else self.json_type}
        schema.update(self.schema_extra())
        if self.description:
            schema["description"] = self.description
        if self.read_only:
            schema["readOnly"] = True
        if self.default is not MISSING and not callable(self.default):
            schema["default"] = _jsonable(self.default)
        return schema

    def schema_extra(self) -> dict[str, Any]:
        return {}


def _jsonable(value: Any) -> Any:
    if isinstance(value, (decimal.Decimal, dt.date)):
        return str(value)
    return value


class String(Field):
    def __init__(
        self,
        *,
        max_length: int | None = None,
        min_length: int = 0,
        choices: Iterable[str] | None = None,
        pattern: str | None = None,
        strip: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.max_length = max_length
        self.min_length = min_length
        self.choices = tuple(choices) if choices else None
        self.pattern = re.compile(pattern) if pattern else None
        self.strip = strip

    def convert(self, value: Any) -> str:
        if not isinstance(value, str):
            raise FieldError("Expected a string.")
        if "\x00" in value:
            raise FieldError("NUL characters are not allowed.")
        if self.strip:
            value = value.strip()
        if self.choices is not None and value not in self.choices:
            raise FieldError(f"Must be one of: {', '.join(self.choices)}.")
        if len(value) < self.min_length:
            raise FieldError("This field may not be blank." if self.min_length == 1
                             else f"Use at least {self.min_length} characters.")
        if self.max_length is not None and len(value) > self.max_length:
            raise FieldError(f"Use at most {self.max_length} characters.")
        if self.pattern is not None and not self.pattern.fullmatch(value):
            raise FieldError("Has an invalid format.")
        return value

    def schema_extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.choices:
            extra["enum"] = list(self.choices)
        if self.max_length is not None:
            extra["maxLength"] = self.max_length
        if self.min_length:
            extra["minLength"] = self.min_length
        if self.pattern is not None:
            extra["pattern"] = self.pattern.pattern
        return extra


class Email(String):
    _shape = re.compile(r"[^@\s<>\"'(),;:\\\[\]]+@[^@\s<>\"'(),;:\\\[\]]+\.[^@\s<>\"'(),;:\\\[\]]+")

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)

    def convert(self, value: Any) -> str:
        value = super().convert(value)
        if not self._shape.fullmatch(value):
            raise FieldError("Enter a valid e-mail address.")
        return value.lower()

    def schema_extra(self) -> dict[str, Any]:
        return {**super().schema_extra(), "format": "email"}


class Integer(Field):
    """A JSON integer (never a boolean or a float) within ``minimum``..``maximum``,
    which default to the 32-bit range so no value can overflow a column."""

    json_type = "integer"

    def __init__(self, *, minimum: int | None = None, maximum: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.explicit_bounds = minimum is not None or maximum is not None
        self.minimum = INT_MIN if minimum is None else minimum
        self.maximum = INT_MAX if maximum is None else maximum

    def convert(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldError("Expected an integer.")
        if value < self.minimum:
            raise FieldError(f"Must be at least {self.minimum}.")
        if value > self.maximum:
            raise FieldError(f"Must be at most {self.maximum}.")
        return value

    def schema_extra(self) -> dict[str, Any]:
        if self.read_only and not self.explicit_bounds:
            return {}
        return {"minimum": self.minimum, "maximum": self.maximum}


class Id(Integer):
    """A row id: from 1 to :data:`MAX_ID`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(minimum=1, maximum=MAX_ID, **kwargs)


class DecimalNumber(Field):
    """A decimal given as a JSON number or a numeric string; rendered as a string."""

    json_type = "string"

    def __init__(self, *, max_digits: int = 12, places: int = 2,
                 minimum: float | None = None, maximum: float | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_digits = max_digits
        self.places = places
        self.minimum = minimum
        self.maximum = maximum

    def convert(self, value: Any) -> decimal.Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise FieldError("Expected a number.")
        text = str(value).strip()
        if text.lstrip("+-").lower() in _NOT_FINITE:
            raise FieldError("Expected a finite number.")
        if not _DECIMAL.fullmatch(text):
            raise FieldError("Expected a number.")
        number = decimal.Decimal(text)
        # Bounded before any arithmetic: quantizing 1e26 would exceed the context precision.
        whole_digits = self.max_digits - self.places
        if not number.is_zero() and number.adjusted() >= whole_digits:
            raise FieldError(f"Use at most {whole_digits} digits before the decimal point.")
        quantum = decimal.Decimal(1).scaleb(-self.places)
        if number != number.quantize(quantum, rounding=decimal.ROUND_HALF_UP):
            raise FieldError(f"Use at most {self.places} decimal places.")
        number = number.quantize(quantum)
        if self.minimum is not None and number < decimal.Decimal(str(self.minimum)):
            raise FieldError(f"Must be at least {self.minimum}.")
        if self.maximum is not None and number > decimal.Decimal(str(self.maximum)):
            raise FieldError(f"Must be at most {self.maximum}.")
        return number

    def json_schema(self) -> dict[str, Any]:
        schema = super().json_schema()
        schema["type"] = ["string", "number", "null"] if self.nullable else ["string", "number"]
        schema["format"] = "decimal"
        return schema


class Boolean(Field):
    json_type = "boolean"

    def convert(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise FieldError("Expected true or false.")
        return value


def _check_date_range(day: dt.date, minimum: dt.date, maximum: dt.date) -> None:
    if not minimum <= day <= maximum:
        raise FieldError(f"Use a date from {minimum.isoformat()} to {maximum.isoformat()}.")


class Date(Field):
    """``YYYY-MM-DD`` within ``minimum``..``maximum`` (default: DATE_MIN..DATE_MAX)."""

    def __init__(self, *, minimum: dt.date = DATE_MIN, maximum: dt.date = DATE_MAX,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.minimum = minimum
        self.maximum = maximum

    def convert(self, value: Any) -> dt.date:
        # fromisoformat alone would also accept "20240101" and week dates.
        if not isinstance(value, str) or not _DATE.fullmatch(value.strip()):
            raise FieldError("Expected a date as YYYY-MM-DD.")
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise FieldError("Not a valid calendar date.") from None
        _check_date_range(day, self.minimum, self.maximum)
        return day

    def schema_extra(self) -> dict[str, Any]:
        return {"format": "date"}


class DateTime(Field):
    """ISO 8601; a value without offset is taken as UTC. Converted to naive UTC.

    Bounded like :class:`Date`, before and after the shift to UTC: near
    ``datetime.min`` or ``max`` an offset alone would overflow.
    """

    def __init__(self, *, minimum: dt.date = DATE_MIN, maximum: dt.date = DATE_MAX,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.minimum = minimum
        self.maximum = maximum

    def convert(self, value: Any) -> dt.datetime:
        if not isinstance(value, str) or not value.isascii() or len(value) > 64:
            raise FieldError("Expected an ISO 8601 date-time.")
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise FieldError("Expected an ISO 8601 date-time.") from None
        _check_date_range(parsed.date(), self.minimum, self.maximum)
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
            _check_date_range(parsed.date(), self.minimum, self.maximum)
        return parsed

    def schema_extra(self) -> dict[str, Any]:
        return {"format": "date-time"}


class UUID(Field):
    def convert(self, value: Any) -> str:
        try:
            return str(uuid.UUID(str(value)))
        except ValueError:
            raise FieldError("Expected a UUID.") from None

    def schema_extra(self) -> dict[str, Any]:
        return {"format": "uuid"}


class List(Field):
    json_type = "array"

    def __init__(self, item: Field, *, max_items: int | None = None, unique: bool = False,
                 min_items: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.item = item
        self.max_items = max_items
        self.min_items = min_items
        self.unique = unique

    def convert(self, value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise FieldError("Expected a list.")
        if self.max_items is not None and len(value) > self.max_items:
            raise FieldError(f"Use at most {self.max_items} items.")
        if len(value) < self.min_items:
            raise FieldError(f"Use at least {self.min_items} items.")
        converted = []
        for index, item in enumerate(value):
            try:
                converted.append(self.item.validate(item))
            except FieldError as exc:
                raise FieldError(f"Item {index}: {exc}") from None
        if self.unique:
            converted = list(dict.fromkeys(converted))
        return converted

    def schema_extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"items": self.item.json_schema()}
        if self.max_items is not None:
            extra["maxItems"] = self.max_items
        return extra


class Dict(Field):
    """A free-form JSON object (metadata and the like), bounded in size."""

    json_type = "object"

    def __init__(self, *, max_keys: int = 100, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_keys = max_keys

    def convert(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise FieldError("Expected an object.")
        if len(value) > self.max_keys:
            raise FieldError(f"Use at most {self.max_keys} keys.")
        return value


class Nested(Field):
    json_type = "object"

    def __init__(self, schema: type[Schema], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.schema = schema

    def convert(self, value: Any) -> dict[str, Any]:
        try:
            return self.schema.validate(value)
        except ValidationError as exc:
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
            raise FieldError(detail or exc.message) from None

    def json_schema(self) -> dict[str, Any]:
        return {"$ref": f"#/components/schemas/{self.schema.__name__}"}


def from_query(field: Field, raw: str) -> Any:
    """A query-string value typed for ``field`` (then validated by the field as usual).

    Raises :class:`FieldError` when the text cannot be that type. Integers are
    ASCII digits only: ``int`` alone would take "١٢", " 12 " and "1_000".
    """
    if isinstance(field, Integer):
        text = raw.strip()
        if not _INTEGER.fullmatch(text):
            raise FieldError("Expected an integer.")
        widest = len(str(max(abs(field.minimum), abs(field.maximum))))
        if len(text.lstrip("+-0")) > widest:
            raise FieldError(f"Expected an integer from {field.minimum} to {field.maximum}.")
        return int(text)
    if isinstance(field, Boolean):
        lowered = raw.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise FieldError("Expected true or false.")
    if isinstance(field, List):
        return [from_query(field.item, part) for part in raw.split(",") if part]
    return raw


class Schema:
    """Subclass and declare fields as class attributes."""

    fields: ClassVar[dict[str, Field]] = {}
    description: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared: dict[str, Field] = {}
        for base in reversed(cls.__mro__[1:]):
            declared.update(getattr(base, "fields", {}))
        for name, value in list(vars(cls).items()):
            if isinstance(value, Field):
                declared[name] = value
        cls.fields = declared

    @classmethod
    def validate(cls, data: Any, *, partial: bool = False) -> dict[str, Any]:
        """Return converted values of the fields present (with defaults unless partial).

        Raises :class:`ValidationError` listing every problem, per field.
        """
        if not isinstance(data, Mapping):
            raise ValidationError("Expected a JSON object.", fields={
                "non_field_errors": ["Expected a JSON object."]})
        errors: dict[str, list[str]] = {}
        result: dict[str, Any] = {}
        for name in data:
            field = cls.fields.get(name)
            if field is None:
                errors[name] = ["Unknown field."]
            elif field.read_only:
                errors[name] = ["This field is read-only."]
        for name, field in cls.fields.items():
            if field.read_only:
                continue
            if name in data:
                try:
                    result[name] = field.validate(data[name])
                except FieldError as exc:
                    errors[name] = [str(exc)]
            elif partial:
                continue
            elif field.required:
                errors[name] = ["This field is required."]
            elif field.default is not MISSING:
                default = field.default
                result[name] = default() if callable(default) else default
        if errors:
            summary = "; ".join(f"{k}: {' '.join(v)}" for k, v in sorted(errors.items()))
            raise ValidationError(f"Invalid input. {summary}", fields=errors)
        return result

    @classmethod
    def validate_query(cls, params: Mapping[str, Any]) -> dict[str, Any]:
        """Validate query-string parameters: strings converted to each field's type first.

        ``page`` and ``page_size`` are left to the paginator; any other unknown
        parameter is an error, so a misspelled filter never silently matches everything.
        """
        data: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for name, raw in params.items():
            if name in ("page", "page_size"):
                continue
            if isinstance(raw, list):
                raw = raw[-1]
            field = cls.fields.get(name)
            try:
                data[name] = from_query(field, raw) if field else raw
            except FieldError as exc:
                errors[name] = [str(exc)]
        if errors:
            raise ValidationError("Invalid query parameters.", fields=errors)
        return cls.validate(data, partial=True) | {
            name: field.default for name, field in cls.fields.items()
            if name not in data and field.default is not MISSING}

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        properties = {name: field.json_schema() for name, field in cls.fields.items()}
        required = [name for name, field in cls.fields.items() if field.required]
        schema: dict[str, Any] = {"type": "object", "properties": properties,
                                  "additionalProperties": False}
        if required:
            schema["required"] = required
        # A field may itself be called ``description``; only a string documents the schema.
        declared = cls.description if isinstance(cls.description, str) else ""
        if declared or cls.__doc__:
            schema["description"] = (declared or cls.__doc__ or "").strip()
        return schema

    @classmethod
    def nested_schemas(cls) -> list[type[Schema]]:
        found: list[type[Schema]] = []
        for field in cls.fields.values():
            inner = field.item if isinstance(field, List) else field
            if isinstance(inner, Nested):
                found.append(inner.schema)
                found.extend(inner.schema.nested_schemas())
        return found

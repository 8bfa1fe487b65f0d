"""Declared request and response shapes.

A :class:`Schema` is declared once and used twice: to validate and convert
incoming JSON (unknown fields rejected, every problem reported per field) and
to describe the same shape as JSON Schema for ``GET /api/openapi.json``.

Example::

    class TaskCreate(Schema):
        title = String(max_length=200)
        impact = DecimalNumber(minimum=0, maximum=100, required=False, default=0)
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
    json_type = "integer"

    def __init__(self, *, minimum: int | None = None, maximum: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.minimum = minimum
        self.maximum = maximum

    def convert(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldError("Expected an integer.")
        if self.minimum is not None and value < self.minimum:
            raise FieldError(f"Must be at least {self.minimum}.")
        if self.maximum is not None and value > self.maximum:
            raise FieldError(f"Must be at most {self.maximum}.")
        return value

    def schema_extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.minimum is not None:
            extra["minimum"] = self.minimum
        if self.maximum is not None:
            extra["maximum"] = self.maximum
        return extra


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
        try:
            number = decimal.Decimal(str(value).strip())
        except decimal.InvalidOperation:
            raise FieldError("Expected a number.") from None
        if not number.is_finite():
            raise FieldError("Expected a finite number.")
        quantum = decimal.Decimal(1).scaleb(-self.places)
        if number != number.quantize(quantum, rounding=decimal.ROUND_HALF_UP):
            raise FieldError(f"Use at most {self.places} decimal places.")
        number = number.quantize(quantum)
        if len(number.as_tuple().digits) > self.max_digits:
            raise FieldError(f"Use at most {self.max_digits} digits.")
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


class Date(Field):
    def convert(self, value: Any) -> dt.date:
        # fromisoformat alone would also accept "20240101" and week dates.
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise FieldError("Expected a date as YYYY-MM-DD.")
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise FieldError("Not a valid calendar date.") from None

    def schema_extra(self) -> dict[str, Any]:
        return {"format": "date"}


class DateTime(Field):
    """ISO 8601; a value without offset is taken as UTC. Converted to naive UTC."""

    def convert(self, value: Any) -> dt.datetime:
        if not isinstance(value, str):
            raise FieldError("Expected an ISO 8601 date-time.")
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise FieldError("Expected an ISO 8601 date-time.") from None
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
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


def _from_query(field: Field, raw: str, errors: dict[str, list[str]], name: str) -> Any:
    if isinstance(field, Integer):
        try:
            return int(raw)
        except ValueError:
            errors[name] = ["Expected an integer."]
    elif isinstance(field, Boolean):
        lowered = raw.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        errors[name] = ["Expected true or false."]
    elif isinstance(field, List):
        return [_from_query(field.item, part, errors, name) for part in raw.split(",") if part]
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
            data[name] = _from_query(field, raw, errors, name) if field else raw
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

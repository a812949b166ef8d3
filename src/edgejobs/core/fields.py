"""Field specs: one declaration of a request body or query gives its parser, its allowed
names and its JSON Schema, so no field, bound or pattern is written twice.

    CREATE = Body(
        Int("project_id", minimum=1, maximum=MAX_SAFE_INTEGER),
        Text("type", choices=TYPES),
        Int("max_retries", minimum=0, maximum=10, default=3),
    )
    values = await CREATE.read(ctx)            # 400 on unknown names, wrong types, bounds
    operation["requestBody"] = CREATE.openapi()

A field left out (or sent as null) takes its default; a field whose default is `REQUIRED`
(the default) must be sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import ValidationError
from .openapi import json_content, nullable
from .validation import REQUIRED, get_bool, get_int, get_str

if TYPE_CHECKING:
    from .context import RequestContext

Parser = Callable[[Mapping[str, Any]], Any]
"""`parse(body)`: the field's value from the whole body (a 400 naming the field if invalid)."""


class Field:
    """A named value of a body: its JSON Schema and its parser."""

    __slots__ = ("name", "parse", "required", "schema")

    def __init__(self, name: str, schema: dict[str, Any], parse: Parser, *, required: bool) -> None:
        self.name = name
        self.schema = schema
        self.parse = parse
        self.required = required


def _described(schema: dict[str, Any], description: str | None) -> dict[str, Any]:
    return {**schema, "description": description} if description else schema


def Int(
    name: str, *, minimum: int, maximum: int, default: Any = REQUIRED, description: str | None = None
) -> Field:
    """A strict integer (`true` is not one) within [minimum, maximum]."""
    schema: dict[str, Any] = {"type": "integer", "minimum": minimum, "maximum": maximum}
    if default is not REQUIRED and default is not None:
        schema["default"] = default
    return Field(
        name,
        _described(schema, description),
        lambda body: get_int(body, name, minimum=minimum, maximum=maximum, default=default),
        required=default is REQUIRED,
    )


def Text(
    name: str,
    *,
    max_length: int = 1024,
    choices: tuple[str, ...] | None = None,
    pattern: re.Pattern[str] | None = None,
    default: Any = REQUIRED,
    description: str | None = None,
) -> Field:
    """A non-empty string (stripped), at most `max_length` characters, no NUL; one of
    `choices` or matching `pattern` when given."""
    if choices is not None:
        schema: dict[str, Any] = {"type": "string", "enum": list(choices)}
    else:
        schema = {"type": "string", "minLength": 1, "maxLength": max_length}
        if pattern is not None:
            schema["pattern"] = f"^{pattern.pattern}$"
    return Field(
        name,
        _described(schema, description),
        lambda body: get_str(
            body, name, max_length=max_length, pattern=pattern, choices=choices, default=default
        ),
        required=default is REQUIRED,
    )


def Bool(name: str, *, default: bool, description: str | None = None) -> Field:
    return Field(
        name,
        _described({"type": "boolean", "default": default}, description),
        lambda body: get_bool(body, name, default=default),
        required=False,
    )


def compact_object(value: Any, name: str, limit: int) -> str:
    """A JSON object as compact UTF-8 JSON text of at most `limit` bytes; a 400 naming `name`
    otherwise."""
    if not isinstance(value, dict):
        raise ValidationError(f"Field {name!r} must be a JSON object.", field=name)
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValidationError(f"Field {name!r} must not contain unpaired surrogates.", field=name) from None
    if size > limit:
        raise ValidationError(f"Field {name!r} is {size} bytes as JSON; the limit is {limit}.", field=name)
    return text


def JsonObject(name: str, limit: int) -> Field:
    """A JSON object of at most `limit` bytes as compact JSON; `{}` if absent or null. Its value
    is the compact JSON text."""

    def parse(body: Mapping[str, Any]) -> str:
        value = body.get(name)
        return compact_object({} if value is None else value, name, limit)

    schema = {"type": "object", "description": f"At most {limit // 1024} KiB as JSON."}
    return Field(name, schema, parse, required=False)


class Body:
    """A JSON object request body made of `fields` (any other name is a 400)."""

    __slots__ = ("fields", "limit", "names", "optional")

    def __init__(self, *fields: Field, limit: int | None = None, optional: bool = False) -> None:
        self.fields = fields
        self.names = tuple(field.name for field in fields)
        self.limit = limit  # bytes; None: the service's MAX_BODY_BYTES
        self.optional = optional  # an absent body is `{}`

    def parse(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Each field's value, in declaration order (the first invalid field is the 400)."""
        return {field.name: field.parse(body) for field in self.fields}

    async def read(self, ctx: RequestContext) -> dict[str, Any]:
        """The request's body, parsed: 400 on unknown fields, 413 over the limit."""
        body = await ctx.json_object(self.names, self.limit, required=not self.optional)
        return self.parse(body)

    def schema(self) -> dict[str, Any]:
        """The body's JSON Schema; an optional field may also be sent as null."""
        return {
            "type": "object",
            "additionalProperties": False,
            "required": [f.name for f in self.fields if f.required],
            "properties": {f.name: f.schema if f.required else nullable(f.schema) for f in self.fields},
        }

    def openapi(self) -> dict[str, Any]:
        """The operation's `requestBody`."""
        return {"required": not self.optional, "content": json_content(self.schema())}

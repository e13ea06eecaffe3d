"""``log.fields``: where each part of a record sits in a log line or table row.

One mapping serves every log read through paths (custom JSON Lines, CSV, Parquet,
Hugging Face datasets); ``log.columns`` and ``log.segment`` are older spellings of parts
of it and are folded in by :func:`merge_mapping`.

A path is dotted (``input.messages``, ``outputs.0.text``); a list index is a number,
written ``.0`` or ``[0]``; a key that holds a dot is quoted in brackets
(``metadata["app.route"]``). Text that does not read as such a path is one key.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from swapkit.errors import ConfigError

__all__ = [
    "COLUMN_ROLES",
    "MESSAGE_ROLES",
    "RECORD_ROLES",
    "FieldMapping",
    "explicit_roles",
    "merge_mapping",
    "metadata_key",
    "parse_path",
]

# Roles that build the request or the recorded response: only a reader that reads through
# the mapping (custom, csv, parquet, hf-dataset) can honour them.
MESSAGE_ROLES = ("messages", "prompt", "system", "request", "answer", "response",
                 "reasoning", "model", "metadata")
# Roles any reader's records can take, resolved against the record it built.
RECORD_ROLES = ("id", "segment", "conversation", "reference", "timestamp")
# log.columns keys whose role has another name in log.fields.
COLUMN_ROLES = {"conversation_id": "conversation"}

_PART = re.compile(r"""(\.?)([^.\[\]]+)|\[(-?\d+)\]|\["([^"]*)"\]|\['([^']*)'\]""")


def parse_path(text: str) -> tuple[str | int, ...]:
    """``a.b[0]["c.d"]`` → ``("a", "b", 0, "c.d")``; a bare number (``a.0``) stays text and
    indexes a list when it meets one. Text that is not such a path is one key."""
    parts: list[str | int] = []
    pos = 0
    while pos < len(text):
        match = _PART.match(text, pos)
        if match is None:
            return (text,)
        dot, name, index, double, single = match.groups()
        if name is not None and (dot == "") != (pos == 0):
            return (text,)  # a name must follow a dot, except the first
        if index is not None:
            parts.append(int(index))
        else:
            parts.append(next(p for p in (name, double, single) if p is not None))
        pos = match.end()
    return tuple(parts)


class FieldMapping(BaseModel):
    """Paths to the parts of a record in a log line or table row (``log.fields``).

    Give the request as ``messages`` (a list of chat messages), ``prompt`` (text: one user
    message, with an optional ``system`` text before it) or ``request`` (a whole chat
    request object); the recorded answer as ``answer`` (text, ``<think>`` split off) or
    ``response`` (a chat.completion or recorded response object). Unset roles of a table
    or custom log fall back to a top-level key of the role's name when there is one.
    """

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None,
                           description="the record's id (else the line or row number)")
    messages: str | None = Field(default=None, description="chat messages: a list of "
                                 "{role, content} objects, or JSON text of one")
    prompt: str | None = Field(default=None, description="prompt text: one user message")
    system: str | None = Field(default=None, description="system text put before the prompt")
    request: str | None = Field(default=None, description="a whole chat request object")
    answer: str | None = Field(default=None, description="the recorded answer text")
    response: str | None = Field(default=None, description="a whole recorded response "
                                 "(chat.completion) object")
    reasoning: str | None = Field(default=None, description="the recorded reasoning text")
    reference: str | None = Field(default=None, description="the expected answer")
    segment: str | None = Field(default=None, description="the segment, e.g. metadata.route")
    conversation: str | None = Field(default=None, description="the conversation or "
                                     "session id")
    timestamp: str | None = Field(default=None, description="when the call was made")
    model: str | None = Field(default=None, description="the model that answered")
    metadata: list[str] | None = Field(default=None, description="paths kept as metadata "
                                       "(default: every top-level key no role uses)")

    @field_validator("*")
    @classmethod
    def _not_blank(cls, value: Any) -> Any:
        for path in value if isinstance(value, list) else [value]:
            if isinstance(path, str) and not path.strip():
                raise ValueError("a path cannot be empty (leave the role out instead)")
        return value

    @model_validator(mode="after")
    def _one_source_each(self) -> FieldMapping:
        given = {role for role in self.model_fields_set if getattr(self, role) is not None}
        for group in (("request", "messages", "prompt"), ("answer", "response")):
            both = [role for role in group if role in given]
            if len(both) > 1:
                raise ValueError(f"{' and '.join(both)} are both mapped: give one")
        if "system" in given and "request" in given:
            raise ValueError("system is mapped with request: the request holds its own "
                             "system message (map messages or prompt instead)")
        keys: dict[str, str] = {}
        for path in self.metadata or []:
            key = metadata_key(path)
            if key in keys:
                raise ValueError(f"metadata paths {keys[key]} and {path} would both be kept "
                                 f"as {key!r}: keep one")
            keys[key] = path
        return self


def metadata_key(path: str) -> str:
    """The metadata key a kept path is stored under: its last named part."""
    names = [p for p in parse_path(path) if isinstance(p, str) and not p.lstrip("-").isdigit()]
    return names[-1] if names else path


def explicit_roles(mapping: FieldMapping) -> dict[str, Any]:
    """The roles a user set (to a path, or to null to turn a default off)."""
    return {role: getattr(mapping, role) for role in mapping.model_fields_set}


def merge_mapping(
    fields: FieldMapping, columns: BaseModel | None = None, segment: str | None = None,
    names: tuple[str, str, str] = ("log.fields.{}", "log.columns.{}", "log.segment"),
) -> FieldMapping:
    """``fields`` with the roles given through the older ``columns`` and ``segment``
    spellings; a role given twice is a ConfigError naming both (``names`` says how the
    three are spelled where they came from: swap.yaml keys or CLI options)."""
    given = {role: (value, names[0].format(role)) for role, value in
             explicit_roles(fields).items()}
    extra: list[tuple[str, Any, str]] = []
    if columns is not None:  # a column given as its default name changes nothing (old dumps)
        extra += [(COLUMN_ROLES.get(key, key), getattr(columns, key), names[1].format(key))
                  for key in sorted(columns.model_fields_set)
                  if getattr(columns, key) != type(columns).model_fields[key].default]
    if segment is not None:
        extra.append(("segment", segment, names[2]))
    for role, value, where in extra:
        if role in given:
            old, new = (name.format("").strip(" .") for name in (names[1], names[0]))
            raise ConfigError(f"{given[role][1]} and {where} both map the {role}",
                              hint=f"keep one ({old} and {names[2]} are older spellings of "
                              f"{new})")
        given[role] = (value, where)
    try:
        return FieldMapping.model_validate({role: value for role, (value, _) in given.items()})
    except ValidationError as err:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in err.errors())
        raise ConfigError(f"{names[0].format('').strip(' .')}: {problems}") from None

"""Structure-aware metrics: JSON validity, schema validity, field match, labels, tool calls."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from swapkit.completion import Completion
from swapkit.records import Record
from swapkit.scoring.extract import NOT_FOUND, ExtractOptions, ExtractSpec, extract
from swapkit.scoring.metrics.base import Kind, MetricScores, RunData, score_pairs
from swapkit.scoring.metrics.options import parse_options
from swapkit.scoring.metrics.text import normalise, reference_text
from swapkit.scoring.normalize import Step, equal

__all__ = ["JsonFieldMatch", "JsonSchemaValid", "JsonValid", "LabelMatch", "ToolCallMatch",
           "flatten", "parse_json_answer", "reference_tool_calls"]

_MISSING = object()


def parse_json_answer(text: str) -> Any:
    """The answer parsed as JSON, or ``_MISSING`` (no fences or prose are forgiven)."""
    try:
        return json.loads(text)
    except (json.JSONDecodeError, ValueError):
        return _MISSING


def _wants_json(record: Record) -> bool:
    response_format = record.request.get("response_format")
    return isinstance(response_format, dict) and response_format.get("type") in (
        "json_object", "json_schema")


def reference_json(record: Record) -> dict[str, Any] | None:
    """The reference as a JSON object (given as an object or as JSON text), else None."""
    reference = record.reference
    if isinstance(reference, dict) and "tool_calls" not in reference:
        return reference
    if isinstance(reference, str) and reference.lstrip().startswith("{"):
        parsed = parse_json_answer(reference)
        return parsed if isinstance(parsed, dict) else None
    return None


def _leaf(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted paths to leaf values (lists are compared whole)."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(flatten(inner, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): value}


class JsonValid:
    """1 when the answer parses as JSON (records that ask for JSON or expect it)."""

    name = "json_valid"
    kind: Kind = "binary"
    higher_is_better = True
    extracts = True
    description = ("answer parses as JSON (as it is; with extract: json, also fenced or after "
                   "prose); applies to JSON-mode requests and JSON references")

    def applies_to(self, record: Record, options: dict[str, Any]) -> bool:
        """Records whose request asks for JSON or whose reference is JSON."""
        return _wants_json(record) or reference_json(record) is not None

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Score records whose request asks for JSON or whose reference is JSON."""
        spec = parse_options(self.name, ExtractOptions, options).spec(self.name)

        def applies(i: int) -> bool:
            return self.applies_to(data.records[i], options)

        def value(i: int, c: Completion) -> tuple[float, str | None]:
            text = extract(c, spec)
            if text is None:
                return 0.0, NOT_FOUND
            ok = parse_json_answer(text) is not _MISSING
            return float(ok), None if ok else "answer is not valid JSON"

        return score_pairs(data, self.name, self.kind, True, applies, value)


class _SchemaOptions(ExtractOptions):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")


def _request_schema(record: Record) -> dict[str, Any] | None:
    response_format = record.request.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        inner = response_format.get("json_schema") or {}
        schema = inner.get("schema") if isinstance(inner, dict) else None
        return schema if isinstance(schema, dict) else None
    return None


class JsonSchemaValid:
    """1 when the answer is JSON valid against the request's (or the suite's) JSON Schema."""

    name = "json_schema_valid"
    kind: Kind = "binary"
    higher_is_better = True
    extracts = True
    description = ("answer validates against response_format.json_schema (or option `schema`); "
                   "remote $refs are never fetched")

    def applies_to(self, record: Record, options: dict[str, Any]) -> bool:
        """Records whose request gives a JSON Schema, or all when the suite gives one."""
        opts = parse_options(self.name, _SchemaOptions, options)
        return (_request_schema(record) or opts.schema_) is not None

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Score records with a schema."""
        import jsonschema
        from referencing import Registry

        opts = parse_options(self.name, _SchemaOptions, options)
        spec = opts.spec(self.name)
        registry: Registry[Any] = Registry()  # no retrieve: unknown $refs fail, never fetch
        validators: dict[str, Any] = {}

        def schema_for(i: int) -> dict[str, Any] | None:
            return _request_schema(data.records[i]) or opts.schema_

        def value(i: int, c: Completion) -> tuple[float, str | None]:
            schema = schema_for(i) or {}
            key = json.dumps(schema, sort_keys=True)
            if key not in validators:
                cls = jsonschema.validators.validator_for(schema)
                validators[key] = cls(schema, registry=registry)
            text = extract(c, spec)
            if text is None:
                return 0.0, NOT_FOUND
            parsed = parse_json_answer(text)
            if parsed is _MISSING:
                return 0.0, "answer is not valid JSON"
            try:
                error = jsonschema.exceptions.best_match(validators[key].iter_errors(parsed))
            except jsonschema.exceptions.SchemaError as err:
                return 0.0, f"schema error: {err.message}"
            except Exception as err:  # an unresolvable $ref, and similar
                return 0.0, f"schema could not be applied: {err}"
            if error is None:
                return 1.0, None
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            return 0.0, f"{where}: {error.message}"

        return score_pairs(data, self.name, self.kind, True,
                           lambda i: schema_for(i) is not None, value)


class _FieldOptions(ExtractOptions):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    against: Literal["reference"] = "reference"
    fields: list[str] | None = None  # dotted paths to compare (default: all reference fields)
    normalize: list[Step] = Field(default=[])  # compare leaf values as normalized text
    tolerance: float = Field(default=1e-6, ge=0)


class JsonFieldMatch:
    """Share of reference fields the answer reproduces exactly; details name the others."""

    name = "json_field_match"
    kind: Kind = "continuous"
    higher_is_better = True
    extracts = True
    description = ("share of the reference's JSON fields (dotted paths) the answer matches; the "
                   "answer's JSON may be fenced or after prose; a plain reference is compared "
                   "with the one field named in `fields`; options: fields, normalize, extract")

    def applies_to(self, record: Record, options: dict[str, Any]) -> bool:
        """Records with a JSON-object reference (or a plain one and one field)."""
        return self._expected(record, parse_options(self.name, _FieldOptions, options)) is not (
            None)

    def _expected(self, record: Record, opts: _FieldOptions) -> dict[str, Any] | None:
        reference = reference_json(record)
        if reference is not None:
            expected = flatten(reference)
            return {k: v for k, v in expected.items()
                    if opts.fields is None or k in opts.fields}
        plain = record.reference
        if opts.fields is not None and len(opts.fields) == 1 and plain is not None and not (
                isinstance(plain, dict | list)):
            return {opts.fields[0]: plain}  # e.g. a numeric reference and fields: [answer]
        return None

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Score records with a JSON-object reference (or a plain one and one field)."""
        opts = parse_options(self.name, _FieldOptions, options)
        spec = opts.spec(self.name) or ExtractSpec(name="json")
        expected_of = [self._expected(r, opts) for r in data.records]  # the applies_to rule

        def same(got: Any, want: Any) -> bool:
            if opts.normalize:
                return equal(_leaf(got), _leaf(want), opts.normalize, opts.tolerance)
            if isinstance(want, str) != isinstance(got, str):  # "18" vs 18: as written
                return _leaf(got) == _leaf(want)
            return bool(got == want)

        def value(i: int, c: Completion) -> tuple[float, str | None]:
            expected = expected_of[i] or {}
            text = extract(c, spec)
            parsed = parse_json_answer(text) if text is not None else _MISSING
            if isinstance(parsed, str):  # {json: PATH} picked a string field
                parsed = {next(iter(expected), "value"): parsed} if len(expected) == 1 else None
            if not isinstance(parsed, dict):
                return 0.0, "answer has no JSON object" if text is None else (
                    "answer is not a JSON object")
            got = flatten(parsed)
            wrong = [k for k, v in expected.items() if k not in got or not same(got[k], v)]
            share = 1.0 - len(wrong) / len(expected) if expected else 1.0
            return share, ("fields differ: " + ", ".join(wrong)) if wrong else None

        return score_pairs(data, self.name, self.kind, True,
                           lambda i: expected_of[i] is not None, value)


class LabelMatch:
    """1 when the answer is the reference label (case, spacing, quotes and final dot ignored)."""

    name = "label_match"
    kind: Kind = "binary"
    higher_is_better = True
    extracts = True
    description = ("classification: the answer is the reference label (lenient normalisation); "
                   "applies to references of at most three words")

    def applies_to(self, record: Record, options: dict[str, Any]) -> bool:
        """Records whose reference is a label: an id of at most three words."""
        ref = reference_text(record)
        return ref is not None and len(ref) <= 64 and len(ref.split()) <= 3

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Score records whose reference is a short label."""
        spec = parse_options(self.name, ExtractOptions, options).spec(self.name)

        def label(text: str) -> str:
            return normalise(text, ["strip", "lower", "whitespace"]).strip("\"'`.")

        def applies(i: int) -> bool:
            return self.applies_to(data.records[i], options)

        def value(i: int, c: Completion) -> tuple[float, str | None]:
            ref = label(reference_text(data.records[i]) or "")
            answer = extract(c, spec)
            if answer is None:
                return 0.0, NOT_FOUND
            got = label(answer)
            return float(got == ref), None if got == ref else f"label {got[:40]!r} != {ref!r}"

        return score_pairs(data, self.name, self.kind, True, applies, value)


def reference_tool_calls(record: Record) -> list[tuple[str, Any]] | None:
    """(name, parsed arguments) of the reference's tool calls, if it has any."""
    reference = record.reference
    if not (isinstance(reference, dict) and isinstance(reference.get("tool_calls"), list)):
        return None
    calls = []
    for call in reference["tool_calls"]:
        if not isinstance(call, dict):
            continue
        inner = call.get("function")
        function: dict[str, Any] = inner if isinstance(inner, dict) else call
        arguments = function.get("arguments", {})
        if isinstance(arguments, str):
            arguments = parse_json_answer(arguments)
        calls.append((str(function.get("name")), arguments))
    return calls


class _ToolOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    compare: Literal["name", "full"] = "full"


class ToolCallMatch:
    """1 when the answer's tool calls have the reference's names and arguments (as JSON)."""

    name = "tool_call_match"
    kind: Kind = "binary"
    higher_is_better = True
    description = "tool calls match the reference: names, then arguments compared as JSON"

    def applies_to(self, record: Record, options: dict[str, Any]) -> bool:
        """Records whose reference holds tool calls."""
        return reference_tool_calls(record) is not None

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Score records whose reference holds tool calls."""
        opts = parse_options(self.name, _ToolOptions, options)

        def value(i: int, c: Completion) -> tuple[float, str | None]:
            expected = reference_tool_calls(data.records[i]) or []
            got = [(t.name, parse_json_answer(t.arguments)) for t in c.tool_calls]
            if [n for n, _ in got] != [n for n, _ in expected]:
                return 0.0, (f"called {', '.join(n for n, _ in got) or 'no tool'}; expected "
                             f"{', '.join(n for n, _ in expected)}")
            if opts.compare == "name":
                return 1.0, None
            for (name, args), (_, want) in zip(got, expected, strict=True):
                if args != want:
                    changed = sorted(k for k in set(flatten(args)) | set(flatten(want))
                                     if flatten(args).get(k, _MISSING) != flatten(want).get(
                                         k, _MISSING)) if isinstance(args, dict) and isinstance(
                                         want, dict) else ["arguments"]
                    return 0.0, f"{name}: arguments differ: {', '.join(changed)}"
            return 1.0, None

        return score_pairs(data, self.name, self.kind, True,
                           lambda i: self.applies_to(data.records[i], options), value)

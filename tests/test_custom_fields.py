"""``log.fields``: custom JSON Lines and tables read through dotted paths, the older
``log.columns`` / ``log.segment`` spellings, file:line errors, and the mapping ``inspect``
suggests for a JSON log it cannot place."""

from __future__ import annotations

import gzip
import json
import shlex
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from swapkit.config import ColumnMapping, FieldMapping, LogSource, load_config
from swapkit.config.fields import parse_path
from swapkit.errors import ConfigError, LogError, LogLineError
from swapkit.ingest.formats import read_log
from swapkit.ingest.formats.suggest import guess_fields

from .conftest import ROOT, assert_cli_ok, assert_usage_error, run_cli

FIXTURES = ROOT / "tests" / "fixtures" / "custom"
APP_FIELDS = FieldMapping(
    id="request_id", messages="input.messages", answer="output.text", model="output.model",
    reference="label", segment="metadata.route", conversation="session_id", timestamp="ts",
)


def records(path: Path, **kwargs: Any) -> list[Any]:
    return list(read_log(LogSource(path=path, **kwargs)))


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_paths_parse_dots_indices_and_quoted_keys() -> None:
    assert parse_path("input.messages") == ("input", "messages")
    assert parse_path("outputs.0.text") == ("outputs", "0", "text")
    assert parse_path("outputs[0].text") == ("outputs", 0, "text")
    assert parse_path('metadata["app.route"]') == ("metadata", "app.route")
    assert parse_path("['a.b'].c") == ("a.b", "c")
    assert parse_path("score [0-1]") == ("score [0-1]",)  # not a path: one key


def test_nested_jsonl_through_the_mapping() -> None:
    first, second, third = records(FIXTURES / "app_calls.jsonl", fields=APP_FIELDS)
    assert first.id == "req-1" and first.segment == "hotels"
    assert first.conversation_id == "sess-1" and third.conversation_id == "42"
    assert first.timestamp == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert third.timestamp == datetime.fromtimestamp(1772356000, tz=UTC)
    assert first.request["messages"][0] == {"role": "system",
                                            "content": "You are a travel agent."}
    assert first.request["temperature"] == 0.3 and first.request["max_tokens"] == 256
    assert first.response.answer == "Here are three hotels in Lisbon."
    assert first.response.reasoning == "Lisbon, hotels."
    assert first.response.model == "qwen3-32b"
    assert first.reference == "three hotels" and second.reference is None
    assert first.metadata == {"user": "u-7"}  # top-level keys no role reads
    assert second.is_multi_turn and len(second.messages) == 4


def test_prompt_system_and_list_indices(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "qa.jsonl", [
        {"q": {"text": "Why?", "sys": "Be brief."}, "outs": [{"text": "Because."}],
         "tags": {"app.route": "faq"}, "extra": 1},
    ])
    fields = FieldMapping(prompt="q.text", system="q.sys", answer="outs[0].text",
                          segment='tags["app.route"]', metadata=["tags"])
    (record,) = records(path, fields=fields)
    assert record.messages == [{"role": "system", "content": "Be brief."},
                               {"role": "user", "content": "Why?"}]
    assert record.response.answer == "Because." and record.segment == "faq"
    assert record.metadata == {"tags": {"app.route": "faq"}}
    (dotted,) = records(path, fields=FieldMapping(prompt="q.text", answer="outs.0.text"))
    assert dotted.response.answer == "Because." and dotted.id == "line-1"


def test_whole_response_object_and_gz(tmp_path: Path) -> None:
    completion = {"object": "chat.completion", "choices": [
        {"message": {"role": "assistant", "content": "hey"}, "finish_reason": "stop"}]}
    path = tmp_path / "calls.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"req": {"messages": [{"role": "user", "content": "hi"}]},
                                 "res": completion}) + "\n")
    (record,) = records(path, fields=FieldMapping(request="req", response="res"))
    assert record.response.answer == "hey" and record.response.finish_reason == "stop"


def test_file_line_errors_name_role_path_and_keys(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [
        {"question": {"text": "ok"}},
        {"question": {"body": "x", "lang": "en"}},
        {"question": "flat"},
        {"question": {"text": {"nested": 1}}},
    ])
    fields = FieldMapping(prompt="question.text")
    with pytest.raises(LogLineError) as info:
        records(path, fields=fields)
    assert info.value.line == 2
    assert "bad.jsonl:2: fields.prompt: path question.text: 'question' has keys: body, lang" \
        in str(info.value)
    stream = read_log(LogSource(path=path, fields=fields, skip_invalid=True))
    assert len(list(stream)) == 1 and stream.invalid.lines == [2, 3, 4]
    assert "'question' is str, not an object" in stream.invalid.messages[1]
    assert "expected text, got an object" in stream.invalid.messages[2]


def test_wrong_types_are_line_errors(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [
        {"m": [{"role": "user", "content": "hi"}], "ts": "yesterday"},
        {"m": "hi"},
        {"m": [{"content": "no role"}]},
        {"m": []},
        {"m": [{"role": "user", "content": "hi"}], "seg": ["a"]},
    ])
    stream = read_log(LogSource(path=path, skip_invalid=True,
                                fields=FieldMapping(messages="m", timestamp="ts", segment="seg")))
    assert list(stream) == [] and stream.invalid.lines == [1, 2, 3, 4, 5]
    first, second, third, fourth, fifth = stream.invalid.messages
    assert "fields.timestamp: path ts" in first
    assert "fields.messages: path m: expected a list of {role, content} objects, got str" \
        in second
    assert "got a list" in third and "got an empty list" in fourth
    assert "fields.segment: path seg: expected text, got a list" in fifth


def test_tables_take_dotted_paths(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "t.parquet"
    pq.write_table(pa.Table.from_pylist([
        {"q": {"text": "hi", "lang": "en"}, "a": {"text": "yo"}, "meta": {"route": "chit"}},
    ]), path)
    fields = FieldMapping(prompt="q.text", answer="a.text", segment="meta.route")
    (record,) = records(path, fields=fields)
    assert record.messages == [{"role": "user", "content": "hi"}]
    assert record.response.answer == "yo" and record.segment == "chit"
    csv_path = tmp_path / "t.csv"
    csv_path.write_text('messages,route\n"[{""role"": ""user"", ""content"": ""hi""}]",x\n')
    (row,) = records(csv_path, fields=FieldMapping(messages="messages", segment="route"))
    assert row.messages == [{"role": "user", "content": "hi"}] and row.segment == "x"
    with pytest.raises(LogError, match="column 'qq' \\(mapped to prompt\\) does not exist"):
        records(path, fields=FieldMapping(prompt="qq.text"))


def test_older_spellings_behave_as_before(tmp_path: Path) -> None:
    csv_path = tmp_path / "t.csv"
    csv_path.write_text("question,route,conversation_id\nhi,faq,c1\n")
    (by_columns,) = records(csv_path, columns=ColumnMapping(prompt="question"),
                            segment_field="metadata.route")
    (by_fields,) = records(csv_path, fields=FieldMapping(prompt="question",
                                                         segment="route"))
    assert by_columns.segment == by_fields.segment == "faq"
    assert by_columns.conversation_id == by_fields.conversation_id == "c1"
    assert by_columns.request == by_fields.request
    with pytest.raises(ConfigError, match="log.fields.segment and log.segment both map"):
        records(csv_path, fields=FieldMapping(prompt="question", segment="route"),
                segment_field="route")


def test_record_roles_with_a_named_format(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "m.jsonl", [
        {"messages": [{"role": "user", "content": "hi"}], "meta": {"id": 7, "gold": "x",
                                                                   "at": "2026-01-01"}},
    ])
    fields = FieldMapping(id="metadata.meta.id", reference="metadata.meta.gold",
                          timestamp="metadata.meta.at", segment="metadata.meta.id")
    (record,) = records(path, fields=fields)
    assert (record.id, record.reference, record.segment) == ("7", "x", "7")
    assert record.timestamp == datetime(2026, 1, 1)
    with pytest.raises(ConfigError, match="the messages reader builds the request"):
        records(path, format="messages", fields=FieldMapping(prompt="x"))
    # Columns given as their default names (a stored config from before log.fields) are no
    # message-level mapping.
    dumped = ColumnMapping.model_validate(ColumnMapping().model_dump())
    assert len(records(path, format="messages", columns=dumped)) == 1


def test_config_names_both_spellings_and_bad_mappings(tmp_path: Path) -> None:
    base = ("name: demo\nlog:\n  path: l.jsonl\n{log}\nbaseline:\n  recorded: true\n"
            "candidate:\n  recorded: true\n")
    swap = tmp_path / "swap.yaml"
    swap.write_text(base.format(log="  segment: a\n  fields: {segment: b}"))
    with pytest.raises(ConfigError, match="log.fields.segment and log.segment both map"):
        load_config(swap)
    swap.write_text(base.format(log="  columns: {conversation_id: a}\n"
                                    "  fields: {conversation: b}"))
    with pytest.raises(ConfigError, match="log.fields.conversation and "
                                          "log.columns.conversation_id"):
        load_config(swap)
    swap.write_text(base.format(log="  fields: {messages: a, prompt: b}"))
    with pytest.raises(ConfigError, match="messages and prompt are both mapped"):
        load_config(swap)
    swap.write_text(base.format(log="  fields: {prompt: q, answer: out.text}"))
    config = load_config(swap)
    source = config.log.source()
    assert (source.fields.prompt, source.fields.answer) == ("q", "out.text")
    # A stored config (a full dump) reads back with the same roles given, defaults unset.
    again = type(config).model_validate(config.model_dump(mode="json"))
    assert again.log.source().fields == source.fields
    assert again.log.fields.model_fields_set == {"prompt", "answer"}


def test_field_flags_and_column_alias() -> None:
    log = FIXTURES / "app_calls.jsonl"
    flags = ["--field", "messages=input.messages", "--field", "segment=metadata.route",
             "--field", "answer=output.text", "--json"]
    result = run_cli(["inspect", log, *flags])
    assert_cli_ok(result)
    stats = json.loads(result.output)
    assert stats["format"] == "custom" and stats["segments"] == {"hotels": 2, "flights": 1}
    assert_usage_error(run_cli(["inspect", log, "--field", "prompt"]), "ROLE=PATH")
    assert_usage_error(run_cli(["inspect", log, "--field", "segment=a", "--segment", "b"]),
                       "--field segment and --segment both map")


@pytest.mark.parametrize(("name", "expected"), [
    ("app_calls", {"id": "request_id", "messages": "input.messages", "answer": "output.text",
                   "reference": "label", "segment": "metadata.route",
                   "conversation": "session_id", "timestamp": "ts"}),
    ("rag_qa", {"prompt": "data.question", "answer": "outputs.0.text", "reference": "gold",
                "segment": "data.category", "conversation": "thread.id",
                "timestamp": "created_at"}),
    ("support_bot", {"system": "system_prompt", "prompt": "query", "answer": "response",
                     "segment": "intent", "conversation": "conversation_id",
                     "timestamp": "ts"}),
])
def test_inspect_suggests_a_mapping_that_reads_the_log(name: str,
                                                       expected: dict[str, str]) -> None:
    log = FIXTURES / f"{name}.jsonl"
    first = json.loads(log.read_text().splitlines()[0])
    assert guess_fields(first) == expected
    result = run_cli(["inspect", log])
    message = assert_usage_error(result, "cannot tell the log format", "log:\n    fields:",
                                 "--field prompt=" if "prompt" in expected else "--field mess")
    flags = shlex.split(message.split("or on the command line: ")[1].splitlines()[0])
    assert_cli_ok(run_cli(["inspect", log, *flags]))  # the suggestion, pasted, reads the log


def test_no_suggestion_without_a_request() -> None:
    assert guess_fields({"a": 1, "b": {"c": [1, 2]}}) == {}

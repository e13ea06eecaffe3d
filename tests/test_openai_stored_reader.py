"""OpenAI stored chat completions: fixtures follow the API reference's list and messages
objects; the export script runs against a local fake of the two endpoints."""

from __future__ import annotations

import json
import runpy
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import pytest

from swapkit.config import LogSource
from swapkit.errors import LogLineError
from swapkit.ingest.formats import read_log, sniff_format

FIXTURES = Path(__file__).parent / "fixtures" / "openai_stored"
ROOT = Path(__file__).parent.parent


def read(path: Path, **kwargs: Any) -> list[Any]:
    return list(read_log(LogSource(path=path, **kwargs)))


def test_export_is_sniffed_and_read() -> None:
    path = FIXTURES / "export.jsonl"
    assert sniff_format(path).name == "openai-stored"
    faq, weather, vision = read(path)

    assert faq.id == "chatcmpl-AyPNinnUqUDYo9SAdA52NobMflmj2"
    assert faq.request["messages"] == [
        {"role": "system", "content": "You are a concise travel assistant."},
        {"role": "user", "content": "What is the weather like in Lisbon in May?", "name": "ana"}]
    assert faq.request["model"] == "gpt-4.1-2025-04-14"
    assert faq.request["seed"] == 4944116822809979520  # exact, past 2**53
    assert faq.request["temperature"] == 1.0 and "tools" not in faq.request
    assert faq.response.answer == "Lisbon is mild in May: 18-24 °C."
    assert faq.response.finish_reason == "stop" and faq.response.status == "ok"
    assert faq.response.usage.prompt_tokens == 31 and faq.response.usage.completion_tokens == 18
    assert faq.timestamp == datetime.fromtimestamp(1738960610, UTC)
    assert faq.metadata == {"route": "faq", "app": "travel", "service_tier": "default",
                            "request_id": "req_ded8ab984ec4bf840f37566c1011c417",
                            "system_fingerprint": "fp_50cad350e4"}

    assert weather.request["messages"][0]["role"] == "developer"
    assert weather.request["tools"][0]["function"]["name"] == "get_weather"
    assert weather.request["tool_choice"] == "auto" and weather.request["temperature"] == 0.2
    assert "seed" not in weather.request
    call = weather.response.tool_calls[0]
    assert (call.id, call.name, call.arguments) == ("call_Wx1", "get_weather",
                                                    '{"city":"Oslo"}')
    assert weather.response.finish_reason == "tool_calls"
    assert weather.response.usage.cached_tokens == 384
    assert weather.metadata["user"] == "user-42"

    parts = vision.request["messages"][0]["content"]
    assert [p["type"] for p in parts] == ["text", "image_url"]
    assert vision.request["response_format"]["type"] == "json_schema"
    assert vision.response.usage.reasoning_tokens == 512
    assert vision.metadata == {"service_tier": "flex",
                               "request_id": "req_0a1b2c3d4e5f60718293a4b5c6d7e8f9"}


def test_segment_from_store_metadata() -> None:
    source = LogSource(path=FIXTURES / "export.jsonl", segment_field="metadata.route")
    assert [r.segment for r in read_log(source)] == ["faq", "weather", None]


def test_export_as_a_json_array_and_as_pages(tmp_path: Path) -> None:
    entries = [json.loads(line) for line in (FIXTURES / "export.jsonl").read_text().splitlines()]
    array = tmp_path / "stored.json"
    array.write_text(json.dumps(entries, indent=2), encoding="utf-8")
    assert sniff_format(array).name == "openai-stored"
    assert [r.id for r in read(array)] == [e["id"] for e in entries]
    pages = tmp_path / "pages.json"
    pages.write_text(json.dumps({"object": "list", "data": entries[:2], "has_more": True}) + "\n"
                     + json.dumps({"object": "list", "data": entries[2:], "has_more": False}),
                     encoding="utf-8")
    assert [r.id for r in read(pages)] == [e["id"] for e in entries]


def test_messages_kept_as_the_returned_page(tmp_path: Path) -> None:
    pages = json.loads((FIXTURES / "messages_pages.json").read_text())
    completion = json.loads((FIXTURES / "list_page.json").read_text())["data"][0]
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({**completion, "messages": pages[completion["id"]]}) + "\n")
    assert len(read(path)[0].request["messages"]) == 2


def test_raw_list_page_without_messages_says_how_to_export() -> None:
    path = FIXTURES / "list_page.json"
    assert sniff_format(path).name == "openai-stored"
    with pytest.raises(LogLineError, match=r"list_page\.json:\d+: .*export_openai_stored"):
        read(path)


GOOD = json.loads((FIXTURES / "export.jsonl").read_text().splitlines()[0])
BAD = [
    ({"messages": None}, "export_openai_stored"),
    ({"messages": []}, "non-empty list"),
    ({"messages": "hi"}, "non-empty list"),
    ({"messages": [7]}, "messages[0] must be a message object"),
    ({"messages": [{"content": "x"}]}, "messages[0].role"),
    ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
    ({"messages": [{"role": "user", "content_parts": "x"}]}, "content_parts"),
    ({"messages": [{"role": "user", "content": "x", "name": 3}]}, "messages[0].name"),
    ({"choices": "x"}, "choices must be a list"),
    ({"choices": [{"message": "x"}]}, "message object"),
    ({"choices": [{"message": {"tool_calls": [{"function": "f"}]}}]}, "tool_calls"),
    ({"usage": 5}, "usage must be an object"),
    ({"usage": {"prompt_tokens_details": "x"}}, "prompt_tokens_details"),
    ({"usage": {"prompt_tokens": "many"}}, "prompt_tokens"),
    ({"temperature": "hot"}, "temperature"),
    ({"seed": 1.5}, "seed"),
    ({"tools": {"a": 1}}, "tools must be a list"),
    ({"metadata": ["x"]}, "metadata must be an object"),
    ({"created": 1e30}, "created"),
    ({"created": "soon"}, "created"),
    ({"model": 4}, "model must be a string"),
    ({"id": 4}, "id must be a string"),
]


@pytest.mark.parametrize(("change", "words"), BAD)
def test_hostile_entries_are_line_errors(tmp_path: Path, change: dict[str, Any],
                                         words: str) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps({**GOOD, **change}) + "\n")
    with pytest.raises(LogLineError) as info:
        read(path, format="openai-stored")
    assert info.value.line == 2 and words in str(info.value)
    stream = read_log(LogSource(path=path, format="openai-stored", skip_invalid=True))
    assert [r.id for r in stream] == [GOOD["id"]] and stream.invalid.count == 1


def test_empty_choices_is_an_empty_response(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps({**GOOD, "choices": []}) + "\n")
    assert read(path)[0].response.status == "empty"


class _FakeStore(BaseHTTPRequestHandler):
    """``GET /v1/chat/completions`` and ``.../{id}/messages``, two completions a page."""

    completions: ClassVar[list[dict[str, Any]]] = []
    messages: ClassVar[dict[str, Any]] = {}
    queries: ClassVar[list[dict[str, list[str]]]] = []

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        self.queries.append(query)
        parts = url.path.strip("/").split("/")
        if parts == ["v1", "chat", "completions"]:
            ids = [c["id"] for c in self.completions]
            start = ids.index(query["after"][0]) + 1 if "after" in query else 0
            data = self.completions[start:start + 2]
            body = {"object": "list", "data": data, "first_id": data[0]["id"],
                    "last_id": data[-1]["id"], "has_more": start + 2 < len(ids)}
        elif parts[:3] == ["v1", "chat", "completions"] and parts[4:] == ["messages"]:
            body = self.messages[parts[3]]
        else:
            self.send_error(404)
            return
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def fake_store() -> Iterator[str]:
    _FakeStore.completions = json.loads((FIXTURES / "list_page.json").read_text())["data"]
    _FakeStore.messages = json.loads((FIXTURES / "messages_pages.json").read_text())
    _FakeStore.queries = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeStore)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_export_script_against_a_fake_store(tmp_path: Path, fake_store: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_store)
    out = tmp_path / "stored.jsonl"
    monkeypatch.setattr("sys.argv", ["export", str(out), "--metadata", "app=travel"])
    runpy.run_path(str(ROOT / "examples" / "export_openai_stored.py"), run_name="__main__")
    assert _FakeStore.queries[0]["metadata[app]"] == ["travel"]
    assert "after" in _FakeStore.queries[-2] or "after" in _FakeStore.queries[-1]
    exported = read(out)
    expected = read(FIXTURES / "export.jsonl")
    assert [r.model_dump() for r in exported] == [r.model_dump() for r in expected]

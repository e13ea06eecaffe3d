"""What is in a prompt log: counts, segments, shares, lengths, duplicates, time span.

One streaming pass; memory grows by a few bytes per record (lengths and 64-bit
request-hash prefixes in compact arrays), never by the records themselves.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from array import array
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from functools import partial
from typing import Any

from pydantic import BaseModel, Field

from swapkit.config import LogSource
from swapkit.ingest.filtering import RecordFilter, recorded_model
from swapkit.ingest.formats import LogStream, read_log
from swapkit.ingest.formats.base import InvalidLines
from swapkit.ingest.formats.jsonl import JsonlFormat, is_json_document, split_lines
from swapkit.ingest.formats.tabular import is_table
from swapkit.records import EARLIER_TURN_ROLES, Record, RecordedResponse, message_text
from swapkit.support.hashing import request_digest

__all__ = ["Distribution", "LogStats", "collect_stats", "distribution", "inspect_stats"]

PARALLEL_MIN_BYTES = 16 << 20  # below this, starting workers costs more than it saves
MAX_WORKERS = 8

MAX_MODELS = 1000  # model names counted one by one; past that, together
NO_MODEL = "(none)"
OTHER_MODELS = "(other models)"
SHARE_KEYS = ("response", "reference", "tools", "response_format", "multi_turn", "reasoning")


class Distribution(BaseModel):
    """Summary of a list of numbers (None fields when there were none)."""

    count: int = 0
    total: float = 0.0
    mean: float | None = None
    min: float | None = None
    p50: float | None = None
    p90: float | None = None
    p99: float | None = None
    max: float | None = None


class LogStats(BaseModel):
    """Everything ``swapkit inspect`` reports about a log."""

    path: str
    format: str
    records: int = 0
    invalid_lines: int = 0
    invalid_line_numbers: list[int] = Field(default_factory=list)
    skipped: dict[str, int] = Field(default_factory=dict)  # entries passed over, by reason
    filtered_by: dict[str, int] = Field(default_factory=dict)  # records a filter dropped, by reason
    unique_requests: int = 0
    duplicates: int = 0
    segments: dict[str, int] = Field(default_factory=dict)
    models: dict[str, int] = Field(default_factory=dict)  # calls by the model that answered
    cost_usd: float = 0.0  # what the calls with a recorded cost cost, in total
    cost_records: int = 0  # how many calls had a recorded cost
    shares: dict[str, float] = Field(default_factory=dict)
    response_status: dict[str, int] = Field(default_factory=dict)
    response_formats: dict[str, int] = Field(default_factory=dict)
    prompt_chars: Distribution = Field(default_factory=Distribution)
    response_chars: Distribution = Field(default_factory=Distribution)
    prompt_tokens: Distribution = Field(default_factory=Distribution)
    completion_tokens: Distribution = Field(default_factory=Distribution)
    reasoning_tokens: Distribution = Field(default_factory=Distribution)
    first_timestamp: datetime | None = None
    last_timestamp: datetime | None = None


def distribution(values: array[Any] | list[float]) -> Distribution:
    """Exact mean and quantiles of ``values``."""
    if not values:
        return Distribution()
    import numpy as np

    data = np.asarray(values, dtype=np.float64)
    p50, p90, p99 = np.quantile(data, [0.5, 0.9, 0.99])
    return Distribution(
        count=int(data.size), total=float(data.sum()), mean=float(data.mean()),
        min=float(data.min()), p50=float(p50), p90=float(p90), p99=float(p99),
        max=float(data.max()),
    )


class _Collector:
    def __init__(self) -> None:
        self.records = 0
        self.hashes: array[int] = array("Q")
        self.segments: Counter[str] = Counter()
        self.models: Counter[str] = Counter()
        self.cost_usd = 0.0
        self.cost_records = 0
        self.flags: Counter[str] = Counter()
        self.status: Counter[str] = Counter()
        self.formats: Counter[str] = Counter()
        self.prompt_chars: array[int] = array("I")
        self.response_chars: array[int] = array("I")
        self.tokens = {k: array("I") for k in ("prompt", "completion", "reasoning")}
        self.first: datetime | None = None
        self.last: datetime | None = None
        self.filtered: Counter[str] = Counter()

    def add(self, record: Record) -> None:
        self.records += 1
        request = record.request
        # the first 64 bits of the request's identity (as the sampler dedupes)
        self.hashes.append(int.from_bytes(request_digest(request)[:8], "big"))
        self.segments[record.segment or "(none)"] += 1
        model = recorded_model(record) or NO_MODEL
        models = self.models
        if model in models or len(models) < MAX_MODELS:
            models[model] += 1
        else:  # a log naming thousands of models: the rest are counted together
            models[OTHER_MODELS] += 1
        flags = self.flags
        if request.get("tools") or request.get("functions"):
            flags["tools"] += 1
        response_format = request.get("response_format")
        if isinstance(response_format, dict):
            flags["response_format"] += 1
            self.formats[str(response_format.get("type", "?"))] += 1
        # the prompt's length and whether it is multi-turn (as Record.is_multi_turn), in
        # one pass over the messages
        chars, users, earlier = 0, 0, False
        for message in request["messages"]:
            content = message.get("content")
            chars += len(content) if isinstance(content, str) else len(message_text(message))
            role = message.get("role")
            if role == "user":
                users += 1
            elif role in EARLIER_TURN_ROLES:
                earlier = True
        if earlier or users > 1:
            flags["multi_turn"] += 1
        if record.reference is not None:
            flags["reference"] += 1
        self.prompt_chars.append(chars)
        if record.timestamp is not None:
            self._span(record.timestamp)
        response = record.response
        if response is not None:
            self._response(response)

    def _span(self, moment: datetime) -> None:
        try:
            if self.first is None or moment < self.first:
                self.first = moment
            if self.last is None or moment > self.last:
                self.last = moment
        except TypeError:  # naive and aware timestamps mixed in one log
            pass

    def _response(self, response: RecordedResponse) -> None:
        self.flags["response"] += 1
        if response.reasoning:
            self.flags["reasoning"] += 1
        self.status[response.status] += 1
        self.response_chars.append(len(response.answer))
        if response.cost_usd is not None:
            self.cost_usd += response.cost_usd
            self.cost_records += 1
        usage = response.usage
        if usage is not None:
            tokens = self.tokens
            if usage.prompt_tokens is not None and usage.prompt_tokens >= 0:
                tokens["prompt"].append(usage.prompt_tokens)
            if usage.completion_tokens is not None and usage.completion_tokens >= 0:
                tokens["completion"].append(usage.completion_tokens)
            if usage.reasoning_tokens is not None and usage.reasoning_tokens >= 0:
                tokens["reasoning"].append(usage.reasoning_tokens)


    def merge(self, other: _Collector) -> None:
        """Add another collector's counts (from a later part of the same log)."""
        self.records += other.records
        self.hashes.extend(other.hashes)
        self.cost_usd += other.cost_usd
        self.cost_records += other.cost_records
        for mine, theirs in ((self.segments, other.segments), (self.models, other.models),
                             (self.flags, other.flags),
                             (self.status, other.status), (self.formats, other.formats),
                             (self.filtered, other.filtered)):
            mine.update(theirs)
        self.prompt_chars.extend(other.prompt_chars)
        self.response_chars.extend(other.response_chars)
        for key, values in other.tokens.items():
            self.tokens[key].extend(values)
        for moment in (other.first, other.last):
            if moment is not None:
                self._span(moment)

    def stats(self, path: str, fmt: str, invalid: InvalidLines,
              skipped: dict[str, int]) -> LogStats:
        """The summary of everything added (``skipped``: entries passed over, by reason)."""
        import numpy as np

        n = self.records
        unique = int(np.unique(np.frombuffer(self.hashes, dtype=np.uint64)).size) if n else 0
        return LogStats(
            path=path, format=fmt, records=n,
            invalid_lines=invalid.count, invalid_line_numbers=list(invalid.lines),
            skipped=dict(Counter(skipped).most_common()),
            filtered_by=dict(self.filtered.most_common()),
            unique_requests=unique, duplicates=n - unique,
            segments=dict(self.segments.most_common()),
            models=dict(self.models.most_common()), cost_usd=self.cost_usd,
            cost_records=self.cost_records,
            shares={k: (self.flags[k] / n if n else 0.0) for k in SHARE_KEYS},
            response_status=dict(self.status.most_common()),
            response_formats=dict(self.formats.most_common()),
            prompt_chars=distribution(self.prompt_chars),
            response_chars=distribution(self.response_chars),
            prompt_tokens=distribution(self.tokens["prompt"]),
            completion_tokens=distribution(self.tokens["completion"]),
            reasoning_tokens=distribution(self.tokens["reasoning"]),
            first_timestamp=self.first, last_timestamp=self.last,
        )


def _collect(stream: Iterable[Record], keep: RecordFilter | None = None) -> _Collector:
    collector = _Collector()
    for record in stream:
        reason = keep.reason(record) if keep is not None else None
        if reason is None:
            collector.add(record)
        else:
            collector.filtered[reason] += 1
    return collector


def _collect_span(source: LogSource, keep: RecordFilter | None = None
                  ) -> tuple[_Collector, InvalidLines, dict[str, int]]:
    stream = read_log(source)
    return _collect(stream, keep), stream.invalid, stream.skipped


def collect_stats(stream: LogStream, keep: RecordFilter | None = None) -> LogStats:
    """Read ``stream`` to the end (in this process) and summarise it (the records ``keep``
    keeps, when given)."""
    collector = _collect(stream, keep)
    return collector.stats(str(stream.source.path), stream.format.name, stream.invalid,
                           stream.skipped)


def _workers(stream: LogStream) -> int:
    """How many processes may share this log: JSON Lines on disk (a JSON document cannot be
    cut at line boundaries), large enough to be worth it."""
    path = stream.source.path
    if not isinstance(stream.format, JsonlFormat) or stream.source.output is not None:
        return 1
    if is_table(path):  # a vendor's CSV / Parquet export: rows do not split on lines
        return 1
    if path.suffix == ".gz" or not path.is_file() or path.stat().st_size < PARALLEL_MIN_BYTES:
        return 1
    if is_json_document(path):
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), MAX_WORKERS))


def inspect_stats(source: LogSource, keep: RecordFilter | None = None) -> LogStats:
    """Summarise a log (the records ``keep`` keeps, when given), reading a large JSONL file
    in parallel parts (one per core)."""
    stream = read_log(source)
    workers = _workers(stream)
    if workers == 1:
        return collect_stats(stream, keep)
    spans = split_lines(source.path, workers)
    parts = [dataclasses.replace(source, format=stream.format.name, span=span) for span in spans]
    total, invalid, skipped = _Collector(), InvalidLines(), Counter[str]()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for collector, part_invalid, part_skipped in pool.map(partial(_collect_span, keep=keep),
                                                              parts):
            total.merge(collector)
            invalid.merge(part_invalid)
            skipped.update(part_skipped)
    return total.stats(str(source.path), stream.format.name, invalid, skipped)

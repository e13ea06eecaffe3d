"""Identity: canonical JSON and content hashes, defined here and nowhere else.

A request's identity is the SHA-256 of its canonical JSON: keys sorted, no
insignificant white space, UTF-8, with the fields in ``TRANSPORT_FIELDS`` left out.
Those fields say how a request travelled (which production model served it,
whether it streamed), not what was asked, so two logged calls that differ only
there are the same prompt: the replay sets them itself per target.

Changing anything in this module changes every identity, which invalidates every
stored completion and every dedup decision: bump ``HASH_VERSION`` when you do.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson

__all__ = [
    "HASH_VERSION",
    "TRANSPORT_FIELDS",
    "canonical_json",
    "completion_key",
    "content_hash",
    "request_digest",
    "request_hash",
]

HASH_VERSION = "1"
TRANSPORT_FIELDS = frozenset({"model", "stream", "stream_options"})


def canonical_json(obj: Any) -> bytes:
    """Serialise ``obj`` canonically: sorted keys, compact separators, UTF-8."""
    try:
        return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONEncodeError, TypeError):
        # orjson refuses integers over 64 bits; the stdlib writes the same form for them.
        return json.dumps(
            obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode()


def content_hash(obj: Any) -> str:
    """Hex SHA-256 of the canonical JSON of ``obj``."""
    return hashlib.sha256(canonical_json(obj)).hexdigest()


def request_hash(request: dict[str, Any]) -> str:
    """Identity of a chat-completions request (see the module docstring)."""
    return request_digest(request).hex()


def request_digest(request: dict[str, Any]) -> bytes:
    """:func:`request_hash` as the 32 bytes of the digest (for counting by identity, where
    text would only be parsed back)."""
    if not TRANSPORT_FIELDS.isdisjoint(request):
        request = {k: v for k, v in request.items() if k not in TRANSPORT_FIELDS}
    return hashlib.sha256(canonical_json(request)).digest()


def completion_key(target_identity: dict[str, Any], request_hash: str, sample: int) -> str:
    """Identity of one completion: (target identity, request identity, sample index).

    ``target_identity`` holds what changes a target's outputs (kind, base URL, model,
    parameters), never credentials: see ``swapkit.replay.targets.target_identity``.
    """
    return content_hash(
        {"v": HASH_VERSION, "target": target_identity, "request": request_hash, "sample": sample}
    )

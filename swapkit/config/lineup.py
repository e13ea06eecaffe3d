"""A lineup of candidates in swap.yaml: ``candidates:``, each a target, ``extends:`` another.

``extends: NAME`` copies the named candidate and applies the given fields on top; the
mappings ``params`` (``extra_body`` inside it too) and ``headers_env`` merge key by key, so
a candidate can differ from another by one parameter::

    candidates:
      qwen3-32b:       {base_url: ..., model: qwen3-32b, params: {temperature: 0.6}}
      qwen3-32b-fast:  {extends: qwen3-32b, params: {extra_body: {enable_thinking: false}}}
"""

from __future__ import annotations

import copy
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["MERGED_KEYS", "MULTIPLICITY", "RANK_BY", "LineupConfig", "Multiplicity",
           "RankQuantity", "resolve_extends"]

RankQuantity = Literal["cost", "latency_p95"]
Multiplicity = Literal["sequence", "holm"]
RANK_BY: tuple[str, ...] = get_args(RankQuantity)
MULTIPLICITY: tuple[str, ...] = get_args(Multiplicity)


class LineupConfig(BaseModel):
    """How a lineup (``candidates:``) picks its recommendation."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    rank_by: RankQuantity | dict[RankQuantity, float] = Field(
        default="cost", description="what makes a GO candidate the one to recommend: cost (per "
        "request, measured), latency_p95, or a weighted mix such as {cost: 2, latency_p95: 1} "
        "(each quantity divided by the best GO candidate's, then weighted; the lowest sum wins)")
    multiplicity: Multiplicity = Field(
        default="sequence", description="how the recommendation holds α: a fixed sequence, "
        "dearest planned cost first, or Holm across the candidates (docs/methodology.md §6.3)")
    early_stop: bool = Field(default=True, description="stop sending a candidate requests "
                             "once a hard gate is a NO-GO at any later point")

MERGED_KEYS = ("params", "headers_env")  # mappings merged key by key (nested ones too)


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def resolve_extends(raw: Any) -> dict[str, dict[str, Any]]:
    """Each candidate's fields with its ``extends:`` chain applied (ValueError naming the
    candidate when a name is unknown, the chain loops, or an entry is not a mapping)."""
    if not isinstance(raw, dict) or not raw:
        raise ValueError("candidates must map names to targets (at least one)")
    for name, entry in raw.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError("each candidate needs a name (a non-empty string key)")
        if not isinstance(entry, dict):
            raise ValueError(f"candidates.{name} must be a mapping of target fields")
    resolved: dict[str, dict[str, Any]] = {}

    def resolve(name: str, chain: tuple[str, ...]) -> dict[str, Any]:
        if name in resolved:
            return resolved[name]
        entry = dict(raw[name])
        parent = entry.pop("extends", None)
        if parent is not None:
            if not isinstance(parent, str) or parent not in raw:
                raise ValueError(f"candidates.{name}.extends: no candidate named {parent!r} "
                                 f"(candidates: {', '.join(raw)})")
            if parent in chain:
                raise ValueError(f"candidates.{name}.extends: a loop "
                                 f"({' -> '.join((*chain, name, parent))})")
            base = copy.deepcopy(resolve(parent, (*chain, name)))
            base.pop("label", None)  # a display name is the candidate's own
            entry = {**base, **{k: v for k, v in entry.items() if k not in MERGED_KEYS},
                     **{k: _merge(base.get(k) or {}, entry[k]) if isinstance(entry[k], dict)
                        else entry[k] for k in MERGED_KEYS if k in entry}}
        resolved[name] = entry
        return entry

    for name in raw:
        resolve(name, ())
    return {name: resolved[name] for name in raw}

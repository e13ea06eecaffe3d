"""The published JSON Schemas (committed beside this file, checked for drift by tests).

Generated from the config and report models; may import them.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["SCHEMA_DIR", "schema_text"]

SCHEMA_DIR = Path(__file__).parent


def schema_text(kind: str) -> str:
    """The JSON Schema of ``swap`` (swap.yaml), ``suite`` files or the JSON ``report``."""
    if kind == "swap":
        from swapkit.config import SwapConfig as model
    elif kind == "suite":
        from swapkit.config import Suite as model  # type: ignore[assignment]
    elif kind == "report":
        from swapkit.report.model import ReportData as model  # type: ignore[assignment]
    else:
        raise ValueError(f"unknown schema {kind!r}")
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"swapkit/{kind}.schema.json"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"

"""A decided run with hostile model outputs, built from recorded answers (no HTTP)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from .conftest import assert_cli_ok, run_cli

HOSTILE = [
    "<script>window.__xss = 1; alert('xss')</script>",
    "</textarea><img src=x onerror=\"window.__xss=2\">",
    "[click me](javascript:window.__xss=3) <a href=\"javascript:window.__xss=4\">link</a>",
    "\x1b[31mred alert\x1b[0m | pipe | `tick` ]]> <![CDATA[ x ]]>",
    "A" * 20000,
    "</script><script>window.__xss=5</script>",
]


def hostile_run(tmp_path: Path, n: int = 60) -> Path:
    """A run with n records (segments a/b), scored, decided and ready to report."""
    base_lines, cand_lines = [], []
    for i in range(n):
        request = {"messages": [{"role": "user", "content": f"Question {i} <b>bold</b>?"}]}
        reference = f"answer {i}"
        cand = HOSTILE[(i // 3) % len(HOSTILE)] if i % 3 == 0 else reference
        segment = "a" if i % 2 else "b"
        for lines, text in ((base_lines, reference), (cand_lines, cand)):
            lines.append({"id": f"q{i}", "segment": segment, "reference": reference,
                          "request": request, "response": {"choices": [{"message": {
                              "content": text}, "finish_reason": "stop"}]}})
    log, shadow = tmp_path / "log.jsonl", tmp_path / "cand.jsonl"
    log.write_text("".join(json.dumps(x) + "\n" for x in base_lines), encoding="utf-8")
    shadow.write_text("".join(json.dumps(x) + "\n" for x in cand_lines), encoding="utf-8")
    config = tmp_path / "swap.yaml"
    config.write_text(yaml.safe_dump({
        "name": "hostile <script>alert(1)</script>", "log": {"path": str(log)},
        "baseline": {"recorded": True, "label": "base <i>model</i>"},
        "candidate": {"recorded": str(shadow), "label": "cand"},
        "noise": {"enabled": False}, "run_dir": str(tmp_path / "run"),
        "suite": {"metrics": ["exact_match", "refusal"],
                  "gates": [{"metric": "exact_match", "margin": 0.05},
                            {"metric": "error_rate", "margin": 0.05}]},
        "report": {"dir": str(tmp_path / "report")},
    }), encoding="utf-8")
    assert_cli_ok(run_cli(["replay", config, "-q"]))
    assert run_cli(["gate", config]).exit_code in (0, 1, 4)
    assert_cli_ok(run_cli(["report", config]))
    return tmp_path / "report"

"""The viewer's lineup pages: a lineup's candidates (each a run under its folder) side by
side, read from the ``lineup.json`` its run leaves beside them and from their stores."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from swapkit.report.lineup_page import LINEUP_FILE, LineupRow, lineup_chart
from swapkit.view.runs import RunReader

__all__ = ["lineup_context"]


def lineup_context(root: Path, folder: Path, reader_of: Callable[[str], RunReader | None]
                   ) -> dict[str, Any]:
    """What the lineup page shows: its headline, the candidates' rows (each linking to its
    run's page) and the quality-against-cost chart."""
    stored = json.loads((folder / LINEUP_FILE).read_text(encoding="utf-8"))
    rows: list[LineupRow] = []
    missing: list[str] = []
    for candidate in stored.get("candidates", []):
        run_dir = folder / Path(str(candidate.get("run_dir", ""))).name
        key = run_dir.relative_to(root).as_posix() if run_dir.is_relative_to(root) else ""
        reader = reader_of(key) if key else None
        decision = None if reader is None else reader.decision()
        if decision is None:
            missing.append(str(candidate.get("name")))
            continue
        rows.append(LineupRow(str(candidate.get("name")), str(candidate.get("verdict")),
                              str(candidate.get("unadjusted_verdict")),
                              candidate.get("name") == stored.get("recommended"), decision,
                              f"/run?{urlencode({'r': key})}"))
    return {"name": stored.get("name", folder.name), "headline": stored.get("headline", ""),
            "rows": rows, "chart": lineup_chart(rows), "notes": stored.get("notes", []),
            "missing": missing}

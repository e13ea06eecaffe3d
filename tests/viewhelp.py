"""Runs for the viewer's tests: the hostile run, and a large one built in-process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from swapkit.view.server import ViewerApp, make_server

from .test_report_scale import write_logs


def large_run(folder: Path, n: int, labels: tuple[str, str] | None = None) -> Path:
    """A recorded run of ``n`` records (nine segments, every seventh answer wrong), scored
    and decided (``labels``: the baseline's and the candidate's); returns its run
    directory."""
    from swapkit.config import load_config
    from swapkit.decision.decide import decide_run
    from swapkit.replay.engine import ReplayOptions, replay_run
    from swapkit.scoring.score import score_run

    base, cand = write_logs(folder, n)
    config = folder / "swap.yaml"
    config.write_text(yaml.safe_dump({
        "name": "large", "log": {"path": str(base)}, "run_dir": str(folder / "run"),
        "baseline": {"recorded": True, **({"label": labels[0]} if labels else {})},
        "candidate": {"recorded": str(cand), **({"label": labels[1]} if labels else {})},
        "noise": {"enabled": False},
        "suite": {"metrics": ["exact_match"], "gates": [{"metric": "exact_match",
                                                          "margin": 0.2}]}}))
    loaded = load_config(config)
    assert loaded.run_dir is not None
    replay_run(loaded, ReplayOptions(quiet=True))
    score_run(loaded.run_dir)
    decide_run(loaded.run_dir)
    return loaded.run_dir


@contextmanager
def serving(root: Path) -> Iterator[tuple[str, ViewerApp]]:
    """The viewer over ``root`` served on a free loopback port: (base URL, app)."""
    server, app = make_server(root)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", app
    finally:
        server.shutdown()
        server.server_close()
        app.close()

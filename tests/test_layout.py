"""The house shows the pipeline: imports point down it, the top level stays short, and the
repository stands on its own (no link or citation leaves it)."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "swapkit"

# Lowest first. A module may import from its own layer or any layer below it, never above.
# The decision's statistics import only numpy and scipy: any layer may use them (scoring
# reports the judge's kappa with people).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("support", ("swapkit.errors", "swapkit.support", "swapkit.decision.stats")),
    ("vocabulary", ("swapkit.config", "swapkit.records", "swapkit.completion")),
    ("ingest", ("swapkit.ingest",)),
    ("store", ("swapkit.store",)),
    ("replay", ("swapkit.replay",)),
    ("scoring", ("swapkit.scoring",)),
    ("decision", ("swapkit.decision",)),
    ("report", ("swapkit.report",)),
    ("main job", ("swapkit.pipeline", "swapkit.plan", "swapkit.lineup")),
    ("beside the pipeline", ("swapkit.sim", "swapkit.demo", "swapkit.schemas", "swapkit.view")),
    ("command line", ("swapkit.cli", "swapkit.__main__")),
    ("public API", ("swapkit",)),
]


def _layer(module: str) -> int:
    best, best_len = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    assert best >= 0, f"{module} is in no layer: add it to LAYERS"
    return best


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_lines(tree: ast.Module) -> set[int]:
    """Lines under ``if TYPE_CHECKING:``: imports for type checkers only, never run."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every swapkit module ``path`` imports at run time (function-level imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    found = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return [(line, name) for line, name in found if name.split(".")[0] == "swapkit"]


def _sources() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if "evaluate_modules" not in p.parts]


def test_imports_point_down_the_pipeline() -> None:
    upward = []
    for path in _sources():
        here = _module_name(path)
        for line, target in _imports(path):
            if _layer(target) > _layer(here):
                upward.append(f"{path.relative_to(ROOT)}:{line}: {here} "
                              f"({LAYERS[_layer(here)][0]}) imports {target} "
                              f"({LAYERS[_layer(target)][0]})")
    assert not upward, "imports that run back up the pipeline:\n" + "\n".join(upward)


def test_stage_packages_import_no_package_of_their_own_layer_but_themselves() -> None:
    """Stages are peers only with themselves: scoring never imports decision's sibling etc."""
    crossing = []
    for path in _sources():
        here = _module_name(path)
        layer = _layer(here)
        if LAYERS[layer][0] in ("support", "vocabulary", "beside the pipeline", "main job",
                                "command line", "public API"):
            continue
        own = next(p for p in LAYERS[layer][1] if here == p or here.startswith(p + "."))
        for line, target in _imports(path):
            if _layer(target) == layer and not (target == own or target.startswith(own + ".")):
                crossing.append(f"{path.relative_to(ROOT)}:{line}: {here} imports {target}")
    assert not crossing, "\n".join(crossing)


def test_a_short_top_level_and_plain_names() -> None:
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(modules) <= 8, modules
    grab_bags = [p for p in PACKAGE.rglob("*.py")
                 if p.stem in ("utils", "helpers", "common", "misc")]
    assert not grab_bags, grab_bags


def test_every_package_says_what_it_takes_gives_and_may_import() -> None:
    for init in sorted(PACKAGE.rglob("__init__.py")):
        if "evaluate_modules" in init.parts:
            continue
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, f"{init.relative_to(ROOT)} has no docstring"
        if init.parent == PACKAGE:
            continue
        assert "import" in doc.lower(), f"{init.relative_to(ROOT)}: say what it may import"


def _tracked_text_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    return [ROOT / name for name in out
            if Path(name).suffix in (".py", ".md", ".yaml", ".yml", ".toml", ".json", ".txt",
                                     ".html", ".js", ".css", "") and (ROOT / name).is_file()]


def test_nothing_points_outside_the_repository() -> None:
    # Built from pieces so that this file does not match itself.
    shared = re.compile(r"\.\./" + "shared" + r"|\b(STATS|STYLE|DESIGN|PACKAGES)" + r"\.md")
    offenders = []
    for path in _tracked_text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if shared.search(line) and path != Path(__file__).resolve():
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("doc", ["README.md", "docs/methodology.md", "docs/cli.md",
                                 "docs/config.md"])
def test_markdown_links_resolve_inside_the_repository(doc: str) -> None:
    path = ROOT / doc
    text = path.read_text(encoding="utf-8")
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor in the same file
        resolved = (path.parent / target.split("#", 1)[0]).resolve()
        if (ROOT not in resolved.parents and resolved != ROOT) or not resolved.exists():
            broken.append(target)
    assert not broken, f"{doc}: links that do not resolve in the repository: {broken}"

"""The bundled suites: kept in the repository's top-level ``suites/`` folder, and copied
into the package as ``swapkit/suites/`` when a wheel is built (``setup.py``'s build step).

A suite is named either by a file or, when no such file exists and the name is bare (no
folder, no ``.yaml``), by the name of a bundled suite: ``suite: chat-assistant``.
"""

from __future__ import annotations

from pathlib import Path

from swapkit.errors import ConfigError

__all__ = ["PACKAGED_SUITES", "REPOSITORY_SUITES", "bundled_suite", "bundled_suites",
           "bundled_suites_dir", "resolve_suite_path"]

PACKAGED_SUITES = Path(__file__).resolve().parents[1] / "suites"  # inside an installed wheel
REPOSITORY_SUITES = Path(__file__).resolve().parents[2] / "suites"  # a checkout, editable


def bundled_suites_dir() -> Path:
    """The folder of the bundled suites: the installed package's, else the checkout's.

    Raises a ConfigError when neither exists (a broken install), rather than listing none.
    """
    for folder in (PACKAGED_SUITES, REPOSITORY_SUITES):
        if any(folder.glob("*.yaml")):
            return folder
    raise ConfigError(f"the bundled suites are missing (looked in {PACKAGED_SUITES} and "
                      f"{REPOSITORY_SUITES})",
                      hint="reinstall swapkit (pip install --force-reinstall swapkit), or "
                      "name a suite file")


def bundled_suites() -> dict[str, Path]:
    """Every bundled suite's file by name, sorted."""
    return {p.stem: p for p in sorted(bundled_suites_dir().glob("*.yaml"))}


def bundled_suite(name: str) -> Path | None:
    """The file of the bundled suite ``name``, or None when there is none by that name."""
    if not name or "/" in name or "\\" in name or name.endswith((".yaml", ".yml")):
        return None
    return bundled_suites().get(name)


def resolve_suite_path(path: Path, name: str, where: str) -> Path:
    """``path`` when it exists, else the bundled suite ``name`` (as the user wrote it).

    ``where`` says who named it (``swap.yaml:12``, ``--suite``) for the error.
    """
    if path.exists():
        return path
    bundled = bundled_suite(name)
    if bundled is not None:
        return bundled
    names = ", ".join(bundled_suites())
    raise ConfigError(f"{where}: no suite file {path}, and no bundled suite named {name!r}",
                      hint=f"give a suite file's path, or one of the bundled suites: {names} "
                      "(swapkit suites list)")

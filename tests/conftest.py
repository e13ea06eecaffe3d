"""Shared test helpers: in-process CLI, example paths, and a guard against network use."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from swapkit.cli import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (
        host.startswith("127.") or host in ("localhost", "::1") or self.family == socket.AF_UNIX
    ):
        raise RuntimeError(f"tests must not use the network (tried to connect to {address!r})")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Only loopback connections are allowed in tests."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    yield


def run_cli(args: list[str], env: dict[str, str] | None = None) -> Result:
    """Invoke the swapkit CLI in-process."""
    return CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=True)


def assert_cli_ok(result: Result) -> None:
    """Fail with what the user would have seen."""
    assert result.exit_code == 0, (
        f"exit {result.exit_code}\noutput:\n{result.output}\nexception: {result.exception!r}"
    )


def assert_usage_error(result: Result, *fragments: str) -> str:
    """Exit 2, one clean message, no traceback; every fragment appears in it."""
    output = result.output
    assert result.exit_code == 2, f"exit {result.exit_code}\n{output}\n{result.exception!r}"
    assert "Traceback" not in output
    for fragment in fragments:
        assert fragment in output, f"{fragment!r} not in:\n{output}"
    return output

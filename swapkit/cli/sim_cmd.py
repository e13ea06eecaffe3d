"""``swapkit sim``: simulated models on an OpenAI-compatible endpoint, on loopback."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import click

__all__ = ["sim_command"]


@click.command("sim")
@click.option("-p", "--profile", "profiles", multiple=True, required=True,
              metavar="NAME|PATH", help="a built-in profile (r1-like, qwen3-like, qwen3-fixed, "
              "instant, judge-like; a lineup's qwen3-235b-like, qwen3-32b-like, qwen3-8b-like, "
              "each also -thinking-like) or a YAML file; repeat for several models")
@click.option("--log", "logs", multiple=True, type=click.Path(path_type=Path),
              help="a log whose references / recorded answers the models paraphrase")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="0 picks a free port")
@click.option("--api-key", envvar="SWAPKIT_SIM_API_KEY",
              help="require this bearer key (default: accept any)")
@click.option("--exit-after", type=click.FloatRange(min=0), metavar="SECONDS",
              help="stop by itself after this long")
def sim_command(profiles: tuple[str, ...], logs: tuple[Path, ...], host: str, port: int,
                api_key: str | None, exit_after: float | None) -> None:
    """Serve simulated models on an OpenAI-compatible endpoint (loopback by default).

    Example:

    \b
        swapkit sim -p r1-like -p qwen3-like --log examples/travel-assistant/logs/chat.jsonl
    """
    from swapkit.errors import UsageError
    from swapkit.sim.runner import LOOPBACK, build_simulator, serve_forever

    if host not in LOOPBACK:
        raise UsageError(f"--host {host}: the simulator listens on loopback only",
                         hint="use 127.0.0.1 (the default)")
    simulator = build_simulator(profiles, logs, api_key)
    names = ", ".join(simulator.profiles)

    def announce(url: str) -> None:
        click.echo(f"swapkit simulator serving {names} at {url} (Ctrl-C stops)", err=True)
        click.echo(url)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(simulator, host, port, exit_after, announce))

"""Running the simulator: in a background thread (tests, demo) or in the foreground (CLI)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aiohttp import web

from swapkit.errors import UsageError
from swapkit.sim.index import SimIndex
from swapkit.sim.profile import SimProfile, load_profile
from swapkit.sim.server import Simulator

__all__ = ["RunningSimulator", "build_simulator", "serve_forever", "start_simulator"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def build_simulator(profiles: Iterable[str | SimProfile], logs: Iterable[Path] = (),
                    api_key: str | None = None,
                    segment_field: str | None = None) -> Simulator:
    """A Simulator for profile names/paths (or objects) that knows the given logs."""
    loaded = [p if isinstance(p, SimProfile) else load_profile(p) for p in profiles]
    if not loaded:
        raise UsageError("the simulator needs at least one profile",
                         hint="e.g. --profile r1-like --profile qwen3-like")
    index = SimIndex()
    for log in logs:
        index.add_log(Path(log), segment_field)
    return Simulator(loaded, index, api_key)


async def _start(simulator: Simulator, host: str, port: int) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(simulator.app(), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=1024, reuse_address=True)
    await site.start()
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else port
    return runner, int(bound)


class RunningSimulator:
    """A simulator serving from a background thread; a context manager that stops it."""

    def __init__(self, simulator: Simulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.simulator = simulator
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.host = host
        self._thread = threading.Thread(target=self._run, args=(host, port), daemon=True,
                                        name="swapkit-sim")
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error

    def _run(self, host: str, port: int) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._runner, self.port = self._loop.run_until_complete(
                _start(self.simulator, host, port))
        except BaseException as err:  # reported to the starting thread
            self._error = err
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, e.g. ``http://127.0.0.1:PORT/v1``."""
        return f"http://{self.host}:{self.port}/v1"

    def stats(self, detail: bool = False) -> dict[str, Any]:
        """The simulator's counters (read in its own thread)."""
        async def read() -> dict[str, Any]:
            return self.simulator.stats.as_json(detail)
        return asyncio.run_coroutine_threadsafe(read(), self._loop).result(10)

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._runner is not None and self._loop.is_running():
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> RunningSimulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_simulator(profiles: Iterable[str | SimProfile], logs: Iterable[Path] = (),
                    host: str = "127.0.0.1", port: int = 0,
                    api_key: str | None = None) -> RunningSimulator:
    """Start a simulator in a background thread; use as a context manager."""
    return RunningSimulator(build_simulator(profiles, logs, api_key), host, port)


async def serve_forever(simulator: Simulator, host: str, port: int,
                        exit_after_s: float | None, announce: Any) -> None:
    """Serve until cancelled (Ctrl-C) or ``exit_after_s`` seconds have passed."""
    runner, bound = await _start(simulator, host, port)
    announce(f"http://{host}:{bound}/v1")
    try:
        if exit_after_s is None:
            await asyncio.Event().wait()
        else:
            await asyncio.sleep(exit_after_s)
    finally:
        await runner.cleanup()

"""The OpenAI-compatible simulator: deterministic models with behaviour, latency and faults."""

from swapkit.sim.index import SimIndex, prompt_key
from swapkit.sim.profile import BUILTIN_PROFILES, SimProfile, load_profile
from swapkit.sim.runner import RunningSimulator, build_simulator, start_simulator
from swapkit.sim.server import SAMPLE_HEADER, Simulator

__all__ = [
    "BUILTIN_PROFILES",
    "SAMPLE_HEADER",
    "RunningSimulator",
    "SimIndex",
    "SimProfile",
    "Simulator",
    "build_simulator",
    "load_profile",
    "prompt_key",
    "start_simulator",
]

"""The OpenAI-compatible simulator: deterministic models with behaviour, latency and faults.

Beside the pipeline, for the demo, dry runs and tests: takes profiles (YAML) and logs (to
learn references), serves HTTP on loopback. May import ingest, the replay wire constants
and judge prompt format, the vocabulary and support; no pipeline stage imports it.
"""

from swapkit.sim.index import SimIndex, prompt_key
from swapkit.sim.profile import BUILTIN_PROFILES, SimProfile, load_profile
from swapkit.sim.runner import RunningSimulator, build_simulator, start_simulator
from swapkit.sim.server import Simulator

__all__ = [
    "BUILTIN_PROFILES",
    "RunningSimulator",
    "SimIndex",
    "SimProfile",
    "Simulator",
    "build_simulator",
    "load_profile",
    "prompt_key",
    "start_simulator",
]

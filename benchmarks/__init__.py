"""swapkit benchmarks: `python -m benchmarks [SCENARIO ...]` (see README)."""

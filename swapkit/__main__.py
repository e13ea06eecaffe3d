"""``python -m swapkit``."""

from swapkit.cli import main

main()

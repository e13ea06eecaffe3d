# The two commands of the README. Each installs what it needs into .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench install clean browser

# The main job on the bundled example against simulated models. Its verdict is NO-GO
# (exit code 1) by design: the candidate breaks JSON in attribute extraction.
demo: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/swapkit demo -o swapkit-demo || [ $$? -eq 1 ]

test: $(STAMP) browser
	$(BIN)/ruff check swapkit tests benchmarks examples
	$(BIN)/mypy
	HF_HUB_OFFLINE=1 $(BIN)/pytest -q

# The real-browser test drives Debian's chromium (never a downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	  >/dev/null; } || echo "chromium not installed: the browser test will be skipped"

install: $(STAMP)

# The CPU build of torch comes first: asked for without the pin (directly or through
# sentence-transformers) pip would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[cpu,dev,ray]"
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

bench: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python -m benchmarks --write

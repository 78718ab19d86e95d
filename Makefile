# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
# Loopback only: without sign-in configured (README: "Sign-in for a team") anyone who reaches the port
# can spend the keys in the environment, change the caps, read every draft and delete takes.
# `make run HOST=0.0.0.0` opens it to the network.
HOST ?= 127.0.0.1

.PHONY: run test lint bench team clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

# The app and the test tools in one pip run (a fresh clone: 42 s, against 24 + 22 s in two), which
# installs everything `make run` needs too.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/streamlit run serve.py --server.address $(HOST) --server.port $(PORT) --browser.gatherUsageStats false

# Two workers (pytest-xdist), one per core; each has its own browser, app servers and data dirs.
# worksteal: a worker that has run out takes tests queued for the other, so a long Chromium journey
# queued late does not leave one core idle at the end (274 s against 329 s with the default `load`).
# mypy (~20 s on one core, no cache in a fresh clone) runs beside the tests, not before them: the
# suite waits on browsers and servers often enough to leave it a core. Either failing fails `make test`.
test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/python -m mypy & typing=$$!; \
	$(BIN)/python -m pytest -n 2 --dist worksteal; tests=$$?; \
	wait $$typing; typed=$$?; \
	test $$tests -eq 0 && test $$typed -eq 0

# ruff, then mypy on the app (its files and settings are in pyproject.toml's [tool.mypy]).
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/python -m mypy

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed-test
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $@

bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench.editor_rerun
	$(BIN)/python -m bench.editor_sessions
	$(BIN)/python -m bench.takes_page
	$(BIN)/python -m bench.takes_page --postgres
	$(BIN)/python -m bench.preview_render
	PYTHONPATH=tests $(BIN)/python -m bench.preview_e2e
	$(BIN)/python -m bench.image_check
	$(BIN)/python -m bench.download_memory
	PYTHONPATH=tests $(BIN)/python -m bench.download_memory --bucket
	$(BIN)/python -m bench.hosted_latency
	$(BIN)/python -m bench.callback_latency
	$(BIN)/python -m bench.sdk_latency
	$(BIN)/python -m bench.exports
	$(BIN)/python -m bench.templates_captions
	$(BIN)/python -m bench.brief_render
	$(BIN)/python -m bench.caps_check
	$(BIN)/python -m bench.caps_check --postgres
	$(BIN)/python -m bench.worker_fleet
	$(BIN)/python -m bench.timeline_drag

$(VENV)/.installed-team: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[team]'
	touch $@

# A team's setup on this machine, to try: a throwaway PostgreSQL cluster (Debian's postgresql), an
# S3 emulator (moto), two storyboard-worker processes and the app on $(PORT). Ctrl-C stops them all.
team: $(VENV)/.installed-team
	$(BIN)/python -m storyboard.devstack --host $(HOST) --port $(PORT)

clean:
	rm -rf $(VENV)

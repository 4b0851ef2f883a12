# Two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.soundry-installed

.PHONY: demo test install clean-venv chromium espeak

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# torch first, pinned to the local CPU wheel: a bare `torch` requirement would fetch a CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/pip install -q --no-deps 'resemblyzer>=0.1.4'
	touch $(STAMP)

install: $(STAMP)

# Debian packages soundry uses when they are there: $(call apt_install,program,package,note when missing)
apt_install = command -v $(1) >/dev/null || ! command -v apt-get >/dev/null || \
	(apt-get update -qq && apt-get install -y -qq $(2) >/dev/null) || \
	echo "note: could not install $(2); $(3)"

# The demo corpus and the phoneme tests use espeak-ng; without it soundry falls back to its own
# synthesiser and grapheme units.
espeak:
	@$(call apt_install,espeak-ng,espeak-ng,the built-in synthesiser and graphemes are used instead)

demo: $(STAMP) espeak
	$(BIN)/soundry demo

# The browser test drives Debian's Chromium (never a downloaded one); install it when apt can.
chromium:
	@$(call apt_install,chromium,chromium,the browser test will be skipped)

test: $(STAMP) chromium espeak
	SOUNDRY_ARTIFACTS=$(CURDIR)/test-artifacts $(BIN)/python -m pytest -q

clean-venv:
	rm -rf $(VENV)

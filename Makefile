# Two commands for a newcomer: `make demo` and `make test`. Both install everything first.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
APT_PKGS := espeak-ng libsndfile1

.PHONY: demo test test-fast install apt browser js contract postgres systemd bench clean

$(STAMP): pyproject.toml constraints.txt
	@command -v espeak-ng >/dev/null || $(MAKE) apt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first, pinned: any other version request would pull GBs of CUDA wheels.
	$(BIN)/pip install -q -c constraints.txt torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	# Their declared dependencies can't install here, or are missing (see pyproject.toml); what they need is above.
	$(BIN)/pip install -q -c constraints.txt --no-deps resemblyzer silero-vad resemble-perth
	# Join the model parts and build the decoder cache once, now, rather than in the first request.
	$(BIN)/vocalis prepare
	touch $(STAMP)

install: $(STAMP)

apt:
	if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $(APT_PKGS)

# The npm tools of the market (solc, OpenZeppelin; a real IPFS importer and Hardhat node for its tests), from
# js/package-lock.json. `make contract` rebuilds the contract's ABI and bytecode (checked in) from source.
js: js/node_modules/.installed

js/node_modules/.installed: js/package.json js/package-lock.json
	@command -v npm >/dev/null || $(MAKE) apt APT_PKGS="nodejs npm"
	cd js && npm ci --silent --no-audit --no-fund
	touch $@

contract: js
	node js/build_contract.mjs

# Debian's PostgreSQL server: the market's tests start a throwaway cluster of their own (tests/postgres_server.py).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || $(MAKE) apt APT_PKGS="postgresql"

# systemd-analyze, which checks the units `vocalis service install` writes.
systemd:
	@command -v systemd-analyze >/dev/null || $(MAKE) apt APT_PKGS="systemd"

# Debian's Chromium, which the web UI's browser tests drive (Playwright downloads no browser here), and a
# small Chinese font so that the screenshots of the Chinese interface show characters, not boxes.
browser:
	@command -v /usr/bin/chromium >/dev/null && fc-list :lang=zh | grep -q . || \
		$(MAKE) apt APT_PKGS="chromium fonts-wqy-microhei"

demo: $(STAMP)
	mkdir -p out
	$(BIN)/vocalis say "Hello! This is Vocalis, speaking English on an ordinary CPU." -o out/demo_en.wav
	$(BIN)/vocalis say "你好，欢迎使用语音工作室，今天天气很好。" -o out/demo_zh.wav
	@echo "Wrote out/demo_en.wav and out/demo_zh.wav"

test: $(STAMP) browser js postgres systemd
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest -q

# The fast subset (a few minutes): everything not marked slow. `make test` runs the whole suite.
test-fast: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python bench/synthesis.py
	$(BIN)/python bench/tones.py

clean:
	rm -rf $(VENV) out js/node_modules

# Every target sets itself up on a fresh machine: `make demo`, `make test`, `make bench`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?= -n 2

.PHONY: demo test test-lowest bench bench-venv bench-venv-peers lint venv clean
# The project's datasets beside the clone (../shared/data: MNIST byte-identical to LeCun's
# files), unless GCONV_DATA is set: a fresh machine without network runs the demo from them
# (the tests find them the same way, in tests/conftest.py).
SHARED_DATA := $(abspath ../shared/data)
ifeq ($(GCONV_DATA),)
ifneq ($(wildcard $(SHARED_DATA)/mnist),)
export GCONV_DATA := $(SHARED_DATA)
endif
endif
BENCH_PY = $(if $(wildcard .venv-bench/bin/python),.venv-bench/bin/python,$(BIN)/python)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[experiments,dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/gconv demo

test: $(STAMP)
	-@bash scripts/install-system-data.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite once more against the lowest NumPy, SciPy, Lightning and torchmetrics that
# pyproject.toml allows (constraints-lowest.txt), in a venv of its own.
LOWEST := .venv-lowest
$(LOWEST)/.installed: pyproject.toml constraints-lowest.txt
	test -x $(LOWEST)/bin/python || $(PY) -m venv $(LOWEST)
	$(LOWEST)/bin/python -m pip install -q --upgrade pip
	$(LOWEST)/bin/python -m pip install -q -c constraints-lowest.txt -e '.[experiments,dev]'
	touch $@

test-lowest: $(LOWEST)/.installed
	-@bash scripts/install-system-data.sh
	$(LOWEST)/bin/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy

bench: $(STAMP)
	@for f in benchmarks/[!_]*.py; do echo "== $$f"; $(BENCH_PY) $$f || exit 1; done

# Peer libraries for side-by-side timings live apart from the main venv: escnn pins numpy < 2
# and builds py3nj with gfortran (installed here through apt where we are root); torch-harmonics.
bench-venv:
	-@command -v gfortran >/dev/null || [ "$$(id -u)" != 0 ] || \
		(apt-get update -q && apt-get install -y -q gfortran) >/dev/null
	test -x .venv-bench/bin/python || $(PY) -m venv .venv-bench
	.venv-bench/bin/python -m pip install -q -c constraints.txt torch==2.13.0 "numpy<2" "cython<3" escnn
	.venv-bench/bin/python -m pip install -q setuptools wheel
	# torch-harmonics 0.8.0 is the newest that runs on torch 2.13 (0.9.x needs torch 2.14)
	.venv-bench/bin/python -m pip install -q --no-build-isolation -c constraints.txt "torch-harmonics==0.8.0"
	.venv-bench/bin/python -m pip install -q -c constraints.txt --no-deps -e .
	$(MAKE) bench-venv-peers

# s2cnn and sem_seg_s2cnn (not on PyPI; both install a package named `s2cnn`) from the source
# snapshots in $(PEERS): s2cnn into .venv-bench, sem_seg_s2cnn into .venv-bench-seg. Both need
# lie-learn (numpy < 2; builds py3nj with gfortran). The shims they need at import time are
# applied by the benchmark scripts, not installed.
PEERS ?= ../shared/peers
bench-venv-peers:
	@if ! ls $(PEERS)/s2cnn-*.tar.gz $(PEERS)/sem_seg_s2cnn-*.tar.gz >/dev/null 2>&1; then \
		echo "bench-venv: no peer snapshots in $(PEERS) (s2cnn-*.tar.gz, sem_seg_s2cnn-*.tar.gz): peers skipped"; \
		exit 0; fi; \
	set -e; \
	.venv-bench/bin/python -m pip install -q -c constraints.txt "numpy<2" lie-learn; \
	.venv-bench/bin/python -m pip install -q --no-deps --no-build-isolation $(PEERS)/s2cnn-*.tar.gz; \
	test -x .venv-bench-seg/bin/python || $(PY) -m venv .venv-bench-seg; \
	.venv-bench-seg/bin/python -m pip install -q -c constraints.txt torch==2.13.0 "numpy<2" setuptools wheel lie-learn; \
	.venv-bench-seg/bin/python -m pip install -q --no-deps --no-build-isolation $(PEERS)/sem_seg_s2cnn-*.tar.gz; \
	.venv-bench-seg/bin/python -m pip install -q -c constraints.txt --no-deps -e .

clean:
	rm -rf $(VENV) $(LOWEST) build dist src/*.egg-info

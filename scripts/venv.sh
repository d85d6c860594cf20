# Sourced by the other scripts: creates .venv once and installs haybale with $EXTRAS into it.
# Re-running is cheap: pip skips what is already installed.
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "haybale needs Python >= 3.11; set PYTHON=/path/to/python3.11 and try again" >&2
    exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating $VENV ..." >&2
    "$PYTHON" -m venv "$VENV"
fi
EXTRAS="${EXTRAS:-local,dev,haystack,ray}"
echo "Installing haybale[$EXTRAS] into $VENV (the first time, llama-cpp-python compiles for ~6 min) ..." >&2
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[$EXTRAS]"

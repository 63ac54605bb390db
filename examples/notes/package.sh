#!/bin/bash
# Build examples/notes/function.zip: koatty_lite + notes/ + handler.py + pg8000 (for Linux, the template's
# runtime and architecture), bytecode compiled by that runtime's Python.   env: PYTHON (default python3)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."   # why: `python -m koatty_lite` from this checkout; with koatty_lite installed, run it anywhere
"${PYTHON:-python3}" -m koatty_lite package "$here/notes" --entry "$here/handler.py" \
  --requirements "$here/requirements.txt" --template "$here/template.yaml" -o "$here/function.zip" "$@"

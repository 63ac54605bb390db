#!/bin/bash
# Build examples/alicloud/build/ and examples/alicloud/function.zip: `make zip` (koatty_lite + demo/) plus this example's entry files.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
(cd "$root" && make -s zip PYTHON="${PYTHON:-python3}")
rm -rf "$here/build" "$here/function.zip"
"${PYTHON:-python3}" -m zipfile -e "$root/dist/function.zip" "$here/build"
for f in index.py; do cp -p "$here/$f" "$here/build/"; done
(cd "$here/build" && "${PYTHON:-python3}" -m zipfile -c "../function.zip" .)
echo "built $here/build and $here/function.zip"

#!/bin/bash
# Build <example>/build/ and <example>/function.zip: `make zip` (koatty_lite + demo/, with bytecode)
# plus the example's own entry files.   usage: examples/package.sh <example dir> <entry file>...
set -euo pipefail
here="$(cd "$1" && pwd)"
shift
root="$(cd "$(dirname "$0")/.." && pwd)"
(cd "$root" && make -s zip PYTHON="${PYTHON:-python3}")
rm -rf "$here/build" "$here/function.zip"
"${PYTHON:-python3}" -m zipfile -e "$root/dist/function.zip" "$here/build"
for f in "$@"; do
  cp -p "$here/$f" "$here/build/"
  # why: make zip's bytecode is unchecked-hash: a pyc left for a replaced file would still be run
  rm -f "$here/build/__pycache__/${f%.py}".*.pyc
done
(cd "$here/build" && "${PYTHON:-python3}" -m zipfile -c "../function.zip" .)
echo "built $here/build and $here/function.zip"

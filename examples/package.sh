#!/bin/bash
# Build <example>/function.zip and <example>/build/ (the same files unzipped, modes kept, for the
# templates' CodeUri/code/src: ./build) with `python -m koatty_lite package`: koatty_lite's runtime,
# the app folder (APP, default examples/demo, shipped as demo/) and the example's own entry files, with
# bytecode for the runtime the example's template declares (template.yaml, s.yaml or serverless.yml).
#   usage: examples/package.sh <example dir> <entry file>...      env: PYTHON, APP, RUNTIME, REQUIREMENTS
set -euo pipefail
here="$(cd "$1" && pwd)"
shift
root="$(cd "$(dirname "$0")/.." && pwd)"
py="${PYTHON:-python3}"
app="$(cd "${APP:-$root/examples/demo}" && pwd)"
args=()
for f in "$@"; do args+=(--entry "$here/$f"); done
for t in template.yaml s.yaml serverless.yml; do
  if [ -f "$here/$t" ]; then args+=(--template "$here/$t"); break; fi
done
[ -n "${RUNTIME:-}" ] && args+=(--runtime "$RUNTIME")
[ -n "${REQUIREMENTS:-}" ] && args+=(--requirements "$(cd "$(dirname "$REQUIREMENTS")" && pwd)/$(basename "$REQUIREMENTS")")
# why: run from the repository root so `python -m koatty_lite` is this checkout's, whatever the caller's cwd
(cd "$root" && "$py" -m koatty_lite package "$app" "${args[@]}" -o "$here/function.zip")
rm -rf "$here/build"
"$py" - "$here/function.zip" "$here/build" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as zf:
    for info in zf.infolist():
        os.chmod(zf.extract(info, sys.argv[2]), (info.external_attr >> 16) & 0o777 or 0o644)
PY
echo "built $here/build and $here/function.zip"

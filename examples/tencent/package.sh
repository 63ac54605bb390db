#!/bin/bash
# Build examples/tencent/build/ and examples/tencent/function.zip (see examples/package.sh).
exec "$(dirname "$0")/../package.sh" "$(dirname "$0")" index.py serve.py scf_bootstrap

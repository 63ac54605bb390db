#!/bin/bash
# Build examples/alicloud/build/ and examples/alicloud/function.zip (see examples/package.sh).
exec "$(dirname "$0")/../package.sh" "$(dirname "$0")" index.py

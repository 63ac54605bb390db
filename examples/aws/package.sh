#!/bin/bash
# Build examples/aws/build/ and examples/aws/function.zip (see examples/package.sh).
exec "$(dirname "$0")/../package.sh" "$(dirname "$0")" handler.py

#!/usr/bin/env bash
# CTest driver for the ONNX node tests: generates the test data with python3-onnx (once per
# build folder), then runs them on one device and writes the table to WORK/node_tests_DEVICE.md.
#   run_node_tests.sh RUNNER DEVICE WORK
# Exit 77 (skip, with a notice) when python3-onnx is missing or the device isn't there.
set -euo pipefail
runner=$1 device=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3
mkdir -p "$work"
if [[ ! -f "$work/data/.complete" ]]; then
  if ! "$python" -c 'import onnx' 2>/dev/null; then
    echo "skipped: python3-onnx is not installed (apt-get install python3-onnx)"
    exit 77
  fi
  rm -rf "$work/data"
  "$python" "$here/../../tools/python/gen_onnx_node_tests.py" "$work/data" >"$work/generate.log" 2>&1 ||
    { cat "$work/generate.log"; exit 1; }
  touch "$work/data/.complete"
fi
"$runner" "$work/data" --device "$device" --table "$work/node_tests_$device.md"

"""Generates the ONNX project's backend node tests (model.onnx plus input/output .pb files per
test) from Debian's python3-onnx 1.12, for tests/onnx_node/node_tests.cpp:

    /usr/bin/python3 tools/python/gen_onnx_node_tests.py OUT_DIR

onnx 1.12's generators use numpy aliases (np.float, np.int, np.bool, np.object, ...) that
numpy 1.24 removed; they are restored before onnx's own generate-data command runs.
"""
import runpy
import sys

import numpy as np

ALIASES = {"float": float, "int": int, "bool": bool, "object": object, "complex": complex, "str": str,
           "long": int, "unicode": str}

if len(sys.argv) != 2:
    sys.exit("usage: gen_onnx_node_tests.py OUT_DIR")
for name, value in ALIASES.items():
    if name not in np.__dict__:
        setattr(np, name, value)
sys.argv = ["onnx.backend.test.cmd_tools", "generate-data", "-o", sys.argv[1]]
runpy.run_module("onnx.backend.test.cmd_tools", run_name="__main__")

#!/usr/bin/env python3
"""Checks the include graph against the layer order (the CTest entry `layers`).

The layer table comes from the build (build/layers.txt, written by cmake/CycloneLayers.cmake
from the cyclone_layer() calls in CMakeLists.txt) and must equal the table in
docs/tour/README.md. Then, for every source and header of the library:
  - each #include "<folder>/..." names the file's own layer or a layer it DEPENDS on
    directly (nn may use tensor, not kernels through it);
  - the layer graph has no cycle but the documented knot, tensor <-> autograd;
  - outside kernels/ and tensor/ nothing calls a backend: no CYCLONE_CALL, no raw
    `.data<T>()` buffer pulls.
  - cyclone.h includes every header of the library but kernels/ and those its comment
    lists as internal.
The programs above the library (tools/, examples/) may include any layer but kernels/.
tests/ and bench/ test and time kernels directly and are not checked.

usage: check_layers.py SOURCE_DIR LAYERS_TXT
"""
import re
import sys
from pathlib import Path

INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/[^"]+"', re.M)
BACKEND_CALL = re.compile(r"\bCYCLONE_CALL\b|\.data<[^>]*>\(\)")
SUFFIXES = {".h", ".cpp", ".cu", ".cuh"}
KNOT = {"tensor", "autograd"}
PROGRAMS = ["tools", "examples"]
BACKEND_LAYERS = {"kernels", "tensor"}


def read_layers(path):
    layers = {}
    for line in Path(path).read_text().splitlines():
        name, rest = line.split(":", 1)
        fields = dict(f.split("=", 1) for f in rest.split())
        layers[name.strip()] = {"dirs": [d for d in fields["dirs"].split(",") if d],
                               "depends": [d for d in fields["depends"].split(",") if d]}
    return layers


def read_doc_table(path):
    """The `| layer | may use |` table of docs/tour/README.md."""
    table, inside = {}, False
    for line in Path(path).read_text().splitlines():
        if line.startswith("| layer | may use |"):
            inside = True
            continue
        if inside:
            if not line.startswith("|"):
                break
            cells = [c.strip().strip("`") for c in line.strip("|").split("|")]
            if set(cells[0]) <= {"-", " "}:
                continue
            table[cells[0]] = sorted(c.strip("` ") for c in cells[1].split(",") if c.strip("` —"))
    return table


def cycles(layers):
    """Pairs of layers that reach each other, other than the knot."""
    reach = {}
    for name in layers:
        seen, todo = set(), list(layers[name]["depends"])
        while todo:
            d = todo.pop()
            if d not in seen:
                seen.add(d)
                todo.extend(layers[d]["depends"])
        reach[name] = seen
    return sorted({tuple(sorted((a, b))) for a in layers for b in reach[a]
                   if a in reach[b] and not {a, b} <= KNOT})


def sources(root, folder):
    return sorted(p for p in (root / folder).rglob("*") if p.suffix in SUFFIXES and p.is_file())


def check_umbrella(root, layers):
    """cyclone.h includes every public header: all but kernels/ and its `internal:` list."""
    text = (root / "cyclone.h").read_text()
    included = set(re.findall(r'^#include "([^"]+)"', text, re.M))
    internal = {w for line in re.findall(r"^//\s*internal:(.*)$", text, re.M) for w in line.split()}
    problems = []
    for name, layer in layers.items():
        for folder in layer["dirs"]:
            if f"{folder}/*" in internal:
                continue
            for path in sources(root, folder):
                rel = path.relative_to(root).as_posix()
                if path.suffix == ".h" and rel not in included and rel not in internal:
                    problems.append(f"cyclone.h: {rel} is neither included nor listed as internal")
    for rel in sorted(included | {w for w in internal if not w.endswith("/*")}):
        if not (root / rel).is_file():
            problems.append(f"cyclone.h: names {rel}, which does not exist")
    return problems


def main():
    root, layers = Path(sys.argv[1]), read_layers(sys.argv[2])
    problems = []
    doc = read_doc_table(root / "docs/tour/README.md")
    want = {name: sorted(l["depends"]) for name, l in layers.items()}
    if doc != want:
        problems.append(f"docs/tour/README.md's layer table {doc} differs from the build's {want}")
    for a, b in cycles(layers):
        problems.append(f"layers {a} and {b} depend on each other")
    owner = {d: name for name, l in layers.items() for d in l["dirs"]}
    for name, layer in layers.items():
        allowed = {name, *layer["depends"]}
        for folder in layer["dirs"]:
            for path in sources(root, folder):
                text = path.read_text(errors="replace")
                rel = path.relative_to(root)
                for m in INCLUDE.finditer(text):
                    used = owner.get(m.group(1))
                    if used and used not in allowed:
                        line = text.count("\n", 0, m.start()) + 1
                        problems.append(f"{rel}:{line}: layer {name} includes {m.group(0).strip()} "
                                        f"(layer {used}); {name} may use {sorted(allowed - {name})}")
                if name not in BACKEND_LAYERS:
                    for m in BACKEND_CALL.finditer(text):
                        line = text.count("\n", 0, m.start()) + 1
                        problems.append(f"{rel}:{line}: {m.group(0)} outside kernels/ and tensor/: "
                                        "call a tensor/ op instead")
    problems += check_umbrella(root, layers)
    for folder in PROGRAMS:
        for path in sources(root, folder):
            text = path.read_text(errors="replace")
            for m in INCLUDE.finditer(text):
                if m.group(1) == "kernels":
                    line = text.count("\n", 0, m.start()) + 1
                    problems.append(f"{path.relative_to(root)}:{line}: a program includes {m.group(0).strip()}; "
                                    "use the tensor/ API")
    for p in problems:
        print(p)
    checked = sum(len(sources(root, d)) for l in layers.values() for d in l["dirs"])
    print(f"check_layers: {len(layers)} layers, {checked} files, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

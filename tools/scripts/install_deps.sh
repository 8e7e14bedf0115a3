#!/usr/bin/env bash
# Installs what cyclone needs on a fresh Debian 12 machine (run as root).
# Safe to run again; skips apt when every package is already present.
set -euo pipefail
PKGS=(cmake ninja-build g++ make git doctest-dev libstb-dev zlib1g-dev libcli11-dev nlohmann-json3-dev dataset-fashion-mnist clang libclang-rt-14-dev)
# PyTorch (CPU) and ONNX are used by the golden-value generators and the weight converter.
if [[ "${CYCLONE_WITH_PYTORCH:-1}" == "1" ]]; then PKGS+=(python3 python3-numpy python3-torch python3-onnx); fi
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install_deps: missing packages: ${missing[*]} (run as root, or install them with apt-get)" >&2
    exit 1
  fi
  echo "install_deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

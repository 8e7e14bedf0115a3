#!/usr/bin/env bash
# Stages the header-only dependencies (and zlib's static library) that the build
# takes from Debian packages into the ignored folder .deps/, for a machine with
# no network or package manager (a lent GPU machine): stb, doctest, nlohmann-json,
# CLI11, zlib and cuDNN's headers. Run it where apt works, then carry .deps/ along.
# The build prefers the system's copies and falls back to .deps (cmake/CycloneDeps.cmake).
#   tools/scripts/stage_deps.sh        env: CYCLONE_DEPS_DIR (default .deps), CUDA_HOME
set -euo pipefail
cd "$(dirname "$0")/../.."
DEPS=${CYCLONE_DEPS_DIR:-.deps}
INC=$DEPS/include
LIB=$DEPS/lib
MANIFEST=$DEPS/MANIFEST.txt
rm -rf "$INC" "$LIB"
mkdir -p "$INC" "$LIB"
{
  echo "cyclone staged dependencies, $(date -u +%Y-%m-%dT%H:%M:%SZ), from $(hostname)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
} >"$MANIFEST"

# The Debian package that owns a path, with its version ("" if none).
package_of() {
  local pkg
  pkg=$(dpkg -S "$1" 2>/dev/null | head -n1 | cut -d: -f1) || true
  [[ -n "$pkg" ]] && echo "$pkg $(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null)"
}

# Installs the Debian packages that provide required headers when they are missing.
ensure_packages() {
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "stage_deps: missing packages: ${missing[*]} (install them with apt-get, as root)" >&2
    exit 1
  fi
  echo "stage_deps: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# stage SRC DEST_NAME REQUIRED: copies a header folder or file into $INC.
stage() {
  local src=$1 name=$2 required=$3
  if [[ ! -e "$src" ]]; then
    if [[ "$required" == required ]]; then
      echo "stage_deps: $src not found (required)" >&2
      exit 1
    fi
    echo "stage_deps: $src not found; skipped" | tee -a "$MANIFEST"
    return 0
  fi
  cp -rL "$src" "$INC/$name"
  echo "$name <- $src ($(package_of "$src" || echo 'no package'))" | tee -a "$MANIFEST"
}

ensure_packages libstb-dev doctest-dev zlib1g-dev
stage /usr/include/stb stb required
stage /usr/include/doctest doctest required
stage /usr/include/nlohmann nlohmann optional
stage /usr/include/CLI CLI optional
stage /usr/include/zlib.h zlib.h required
stage /usr/include/zconf.h zconf.h required
zlib_a=$(dpkg -L zlib1g-dev 2>/dev/null | grep '/libz\.a$' | head -n1 || true)
if [[ -n "$zlib_a" && -f "$zlib_a" ]]; then
  cp -L "$zlib_a" "$LIB/libz.a"
  echo "lib/libz.a <- $zlib_a ($(package_of "$zlib_a"))" | tee -a "$MANIFEST"
fi

# cuDNN's headers: from a Debian/Ubuntu package if one is installed, else the CUDA toolkit.
cudnn_h=$(dpkg -S cudnn.h 2>/dev/null | awk -F': ' '$2 ~ /\/cudnn\.h$/ {print $2; exit}' || true)
for candidate in "$cudnn_h" /usr/include/cudnn.h /usr/include/x86_64-linux-gnu/cudnn.h \
  "${CUDA_HOME:-/usr/local/cuda}/include/cudnn.h" /usr/local/cuda/include/cudnn.h ""; do
  cudnn_h=$candidate
  [[ -n "$cudnn_h" && -f "$cudnn_h" ]] && break
done
if [[ -n "$cudnn_h" ]]; then
  dir=$(dirname "$cudnn_h")
  cp -L "$dir"/cudnn*.h "$INC/"
  version=$(awk '/#define CUDNN_(MAJOR|MINOR|PATCHLEVEL) / {printf "%s%s", sep, $3; sep="."}' "$dir/cudnn_version.h" 2>/dev/null || true)
  echo "cudnn*.h <- $dir (cuDNN headers ${version:-of unknown version}; the machine's libcudnn may be older)" |
    tee -a "$MANIFEST"
else
  echo "stage_deps: no cudnn.h found (dpkg -S cudnn.h, /usr/include, \$CUDA_HOME/include); skipped" |
    tee -a "$MANIFEST"
fi

echo "stage_deps: staged into $DEPS ($(du -sh "$DEPS" | cut -f1)); carry it to the GPU machine"

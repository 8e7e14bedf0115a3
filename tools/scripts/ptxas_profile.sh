#!/usr/bin/env bash
# Compiles each kernels/cuda/*.cu for sm_90 and writes ptxas's resource use per kernel as a TSV
# (the input of bench_profile --ptxas). Needs nvcc only, no GPU.
#   tools/scripts/ptxas_profile.sh OUT.tsv        (NVCC=/path/to/nvcc, ARCH=sm_90 to change)
# Columns: kernel (named as the emulator names it, e.g. "gemm_v3<true, false>"), registers,
# spill stores and loads (bytes), static shared memory (bytes, without the 1 KB the driver
# reserves per block), constant bank 0 (bytes: the launch parameters and the driver's 528).
# The flags are the CUDA build's (cmake/CycloneCuda.cmake, CMakeLists.txt): -O3 -DNDEBUG,
# CYCLONE_WITH_CUDA=1, --expt-relaxed-constexpr, C++17, the sources reached as "kernels/...".
set -euo pipefail
export LC_ALL=C  # sort and join agree on the order

out=${1:?usage: ptxas_profile.sh OUT.tsv}
root=$(cd "$(dirname "$0")/../.." && pwd)
nvcc=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
arch=${ARCH:-sm_90}
[[ -x $nvcc ]] || { echo "ptxas_profile.sh: no nvcc at '$nvcc' (set NVCC)" >&2; exit 1; }
command -v c++filt > /dev/null || { echo "ptxas_profile.sh: c++filt (binutils) is missing" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/include"
ln -s "$root/kernels" "$work/include/kernels"  # as the build's layer include folder does

# One line per entry function: mangled name, registers, spill stores, spill loads, smem, cmem[0].
parse_ptxas() {
  awk '
    /Compiling entry function/ { split($0, q, "\047"); entry = q[2]; stores = loads = 0; next }
    entry != "" && /bytes spill stores/ {
      for (i = 1; i <= NF; ++i) {
        if ($(i + 1) == "bytes" && $(i + 2) == "spill" && $(i + 3) ~ /^stores/) stores = $i
        if ($(i + 1) == "bytes" && $(i + 2) == "spill" && $(i + 3) ~ /^loads/) loads = $i
      }
      next
    }
    entry != "" && /Used [0-9]+ registers/ {
      regs = smem = 0
      for (i = 1; i <= NF; ++i) {
        if ($(i + 1) ~ /^registers/) regs = $i
        if ($(i + 1) == "bytes" && $(i + 2) ~ /^smem/) smem = $i
      }
      printf "%s\t%d\t%d\t%d\t%d\n", entry, regs, stores, loads, smem
      entry = ""
    }'
}

# The size of each kernel's .nv.constant0 section in a cubin: "mangled<TAB>bytes".
constant_banks() {
  readelf -SW "$1" 2> /dev/null | awk '
    function hex(h,    i, n) { n = 0; for (i = 1; i <= length(h); ++i) n = n * 16 + index("0123456789abcdef", substr(tolower(h), i, 1)) - 1; return n }
    { for (i = 1; i <= NF; ++i) if ($i ~ /^\.nv\.constant0\./) print substr($i, 15) "\t" hex($(i + 4)) }'
}

# "void cyclone::kernels::cuda::(anonymous namespace)::gemm_v3<true, false>(cyclone::kernels::GemmArgs)"
# -> "gemm_v3<true, false>": no return type, no parameters, no namespaces in front.
normalise_names() {
  awk -F'\t' -v OFS='\t' '
    function short(s,    i, c, depth, cut, last) {
      sub(/^void /, "", s)
      depth = 0; cut = length(s) + 1
      for (i = 1; i <= length(s); ++i) {
        c = substr(s, i, 1)
        if (c == "<") ++depth
        if (c == ">") --depth
        if (c == "(" && depth == 0 && substr(s, i, 11) != "(anonymous ") { cut = i; break }
      }
      s = substr(s, 1, cut - 1)
      depth = 0; last = 0
      for (i = 1; i < length(s); ++i) {
        c = substr(s, i, 1)
        if (c == "<" || c == "(") ++depth
        if (c == ">" || c == ")") --depth
        if (depth == 0 && substr(s, i, 2) == "::") last = i + 1
      }
      return substr(s, last + 1)
    }
    { $1 = short($1); print }'
}

printf 'kernel\tregisters\tspill_stores\tspill_loads\tstatic_shared\tconstant\n' > "$work/table.tsv"
for cu in "$root"/kernels/cuda/*.cu; do
  base=$(basename "$cu" .cu)
  if ! "$nvcc" -DCYCLONE_WITH_CUDA=1 -DNDEBUG -O3 -I"$work/include" -arch="$arch" --expt-relaxed-constexpr \
      -std=c++17 -Xptxas -v -cubin -o "$work/$base.cubin" "$cu" > "$work/$base.log" 2>&1; then
    echo "ptxas_profile.sh: nvcc failed on $cu:" >&2
    cat "$work/$base.log" >&2
    exit 1
  fi
  parse_ptxas < "$work/$base.log" | sort > "$work/$base.res"
  constant_banks "$work/$base.cubin" | sort > "$work/$base.cmem"
  join -t $'\t' -a 1 -e 0 -o 1.1,1.2,1.3,1.4,1.5,2.2 "$work/$base.res" "$work/$base.cmem" > "$work/$base.rows"
  c++filt < "$work/$base.rows" | normalise_names >> "$work/table.tsv"
done
mv "$work/table.tsv" "$out"
echo "ptxas_profile.sh: $(($(wc -l < "$out") - 1)) kernels for $arch in $out"

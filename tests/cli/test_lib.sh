# Shared by the end-to-end scripts of tests/cli/ (sourced, after CYC, WORK and PY are set):
# pass/fail counters, expect_error and json_field.
fails=0
passes=0
pass() { echo "ok   $1"; passes=$((passes + 1)); }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }

# expect_error NAME PATTERN -- CMD...: non-zero exit, exactly one stderr line, matching PATTERN.
expect_error() {
  local name=$1 pattern=$2
  shift 3
  "$@" >"$WORK/out.txt" 2>"$WORK/err.txt"
  local rc=$?
  local lines
  lines=$(wc -l <"$WORK/err.txt")
  if [[ $rc -ne 0 && $lines -eq 1 ]] && grep -q -- "$pattern" "$WORK/err.txt"; then
    pass "$name"
  else
    fail "$name (rc=$rc, $lines stderr lines: $(head -c 300 "$WORK/err.txt"))"
  fi
}

# json_field FILE EXPR: evaluates EXPR on the JSON object on the file's last line (as j).
json_field() { tail -n 1 "$1" | "$PY" -c "import json,sys; j=json.loads(sys.stdin.read()); print($2)"; }

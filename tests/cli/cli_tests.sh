#!/usr/bin/env bash
# End-to-end checks of the `cyclone` tool: help, one-line errors with a
# non-zero exit for bad input, the schedule dry run, train/lr-find/eval/interpret on
# synthetic data with --json, the files they write, --resume, and image folders
# with unreadable files (verify, skipping, the shared decode cache).
#   usage: cli_tests.sh PATH/TO/cyclone WORK_DIR
set -uo pipefail
CYC=$1
WORK=$2
rm -rf "$WORK" && mkdir -p "$WORK"
PY=$(command -v /usr/bin/python3 || command -v python3)
source "$(dirname "$0")/test_lib.sh"

"$CYC" --help >/dev/null && pass "--help" || fail "--help"
# (to a file: a pipe into grep -q may close before the help is written, and pipefail would see SIGPIPE)
"$CYC" train --help >"$WORK/help.txt" && grep -q -- "--lr" "$WORK/help.txt" && pass "train --help lists --lr" || fail "train --help"
expect_error "unknown data spec" "unknown SPEC" -- "$CYC" train --data nonsense --out "$WORK/x"
expect_error "unknown model" "resnet20, resnet32" -- "$CYC" train --data synthetic --model resnet21 --out "$WORK/x"
expect_error "eval needs weights" "--weights" -- "$CYC" eval --data synthetic --model smallcnn --out "$WORK/x"
expect_error "missing weights file" "/nonexistent/w.npz" -- "$CYC" eval --data synthetic --model smallcnn --weights /nonexistent/w.npz --out "$WORK/x"
expect_error "bad lr" "--lr" -- "$CYC" train --data synthetic --lr fast --out "$WORK/x" --quiet
expect_error "unknown lr rule, naming the rules" "the rules are: minimum, steepest, steep, valley, slide, edge" -- \
  "$CYC" train --data synthetic --lr auto=best --out "$WORK/x" --quiet
expect_error "bad schedule" "max_lr" -- "$CYC" schedule --schedule "onecycle max_lr=-1 total_steps=10" --out "$WORK/x"
expect_error "unknown schedule" "onecycle" -- "$CYC" schedule --schedule "wobbly lr=1" --out "$WORK/x"
if [[ -s /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]]; then
  expect_error "model/data mismatch" "expects 3x32x32" -- "$CYC" train --data fashion-mnist --model resnet20 --limit-train 8 --out "$WORK/x" --lr 0.1 --quiet
fi
expect_error "resume without checkpoint" "checkpoint.npz" -- "$CYC" train --data synthetic --resume --out "$WORK/empty" --quiet

"$CYC" schedule --schedule "sgdr lr=0.1 cycle_len=10 cycle_mult=2" --steps 70 --out "$WORK/sched" --json >"$WORK/sched.txt"
if [[ $(wc -l <"$WORK/sched/schedule.csv") -eq 71 && -s "$WORK/sched/schedule.png" ]] &&
  [[ $(json_field "$WORK/sched.txt" 'j["steps"]') == 70 ]]; then
  pass "schedule dry run writes 70 rows, a plot and JSON"
else
  fail "schedule dry run"
fi

cmp_loss() { "$PY" -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(abs(a - b) > 1e-4)" "$1" "$2" 2>/dev/null; }
T="$WORK/train"
COMMON=(--data synthetic --model smallcnn --limit-train 256 --limit-valid 64 --bs 32 --out "$T" --quiet --seed 3)
if "$CYC" train "${COMMON[@]}" --epochs 1 --lr 0.05 --json >"$WORK/train.txt" 2>"$WORK/train.err"; then
  acc=$(json_field "$WORK/train.txt" 'j["final_accuracy"]')
  ok=1
  for f in log.csv loss.png schedule.png accuracy.png model.npz checkpoint.npz; do [[ -s "$T/$f" ]] || ok=0; done
  [[ $ok -eq 1 ]] && pass "train writes log, plots, weights and checkpoint (accuracy $acc)" || fail "train outputs missing"
else
  fail "train on synthetic data: $(tail -3 "$WORK/train.err")"
fi
if "$CYC" eval --data synthetic --model smallcnn --limit-valid 64 --seed 3 --weights "$T/model.npz" --normalize none \
  --out "$WORK/eval" --json >"$WORK/eval.txt" 2>&1; then
  ev=$(json_field "$WORK/eval.txt" 'j["top1"]')
  same=$("$PY" -c "print(abs($ev - $acc) < 1e-9)")
  [[ $same == True ]] && pass "eval of the saved weights reproduces the final accuracy ($ev)" || fail "eval $ev vs train $acc"
else
  fail "eval: $(tail -3 "$WORK/eval.txt")"
fi
# interpret: the same images and weights as eval, so the same accuracy; the matrix in the CSV and
# the JSON agree and hold every image; the top losses come highest first.
expect_error "interpret needs weights" "--weights" -- "$CYC" interpret --data synthetic --model smallcnn --out "$WORK/x"
expect_error "interpret --top 0" "--top" -- "$CYC" interpret --data synthetic --weights "$T/model.npz" --top 0 --out "$WORK/x"
I="$WORK/interp"
if "$CYC" interpret --data synthetic --model smallcnn --limit-valid 64 --seed 3 --weights "$T/model.npz" --top 6 \
  --out "$I" --json >"$WORK/interp.txt" 2>&1 && [[ -s "$I/confusion.png" && -s "$I/top_losses.png" ]] &&
  grep -q "^accuracy $(printf '%.4f' "$ev") (" "$WORK/interp.txt" && grep -q "^most confused (actual -> predicted: count):" "$WORK/interp.txt" &&
  grep -q "^wrote $I/confusion.png (the matrix), $I/confusion.csv and $I/top_losses.png (the top 6 losses)" "$WORK/interp.txt" &&
  [[ $(head -1 "$I/confusion.csv") == 'actual \ predicted,class0,class1,class2,class3,class4,class5,class6,class7,class8,class9' ]] &&
  [[ $(json_field "$WORK/interp.txt" "abs(j['accuracy'] - $ev) < 1e-9 and sum(map(sum, j['confusion'])) == 64 and
       sum(j['confusion'][i][i] for i in range(10)) == j['correct'] and len(j['top_losses']) == 6 and
       all(a['loss'] >= b['loss'] for a, b in zip(j['top_losses'], j['top_losses'][1:])) and
       [[int(x) for x in l.split(',')[1:]] for l in open('$I/confusion.csv').read().splitlines()[1:]] == j['confusion']") == True ]]; then
  first=$(json_field "$WORK/interp.txt" "'  %s -> %s: %d' % tuple(j['most_confused'][0][k] for k in ('actual', 'predicted', 'count'))")
  grep -qx -- "$first" "$WORK/interp.txt" && pass "interpret writes the matrix (PNG, CSV), the top losses and the most confused pairs (first: ${first#  })" ||
    fail "interpret's first most confused pair '$first' is not printed"
else
  fail "interpret: $(tail -3 "$WORK/interp.txt")"
fi
# --precise-bn re-estimates BN statistics on training batches, so the loss moves.
expect_error "eval --precise-bn on the train split" "--split test" -- "$CYC" eval --data synthetic --weights "$T/model.npz" --split train --precise-bn 2 --out "$WORK/x"
if "$CYC" eval --data synthetic --model smallcnn --limit-train 128 --limit-valid 64 --bs 32 --seed 3 --weights "$T/model.npz" \
  --normalize none --precise-bn 3 --out "$WORK/eval" --json >"$WORK/pbn.txt" 2>&1 &&
  [[ $(json_field "$WORK/pbn.txt" 'j["precise_bn_batches"]') == 3 ]] &&
  [[ $(cmp_loss "$(json_field "$WORK/pbn.txt" 'j["mean_loss"]')" "$(json_field "$WORK/eval.txt" 'j["mean_loss"]')") == True ]]; then
  pass "eval --precise-bn 3 re-estimates BN on 3 batches (loss $(json_field "$WORK/eval.txt" 'j["mean_loss"]') -> $(json_field "$WORK/pbn.txt" 'j["mean_loss"]'))"
else
  fail "eval --precise-bn: $(tail -3 "$WORK/pbn.txt")"
fi
rows_before=$(wc -l <"$T/log.csv")
expect_error "--resume with more --epochs of a one-cycle run asks for --replan" "its onecycle schedule is planned for 1 epochs.*--replan" -- \
  "$CYC" train "${COMMON[@]}" --epochs 2 --lr 0.05 --resume
if "$CYC" train "${COMMON[@]}" --epochs 2 --lr 0.05 --resume --replan --json >"$WORK/resume.txt" 2>&1 &&
  grep -q "resuming from" "$WORK/resume.txt" && grep -q "re-planned: onecycle.*over 2 epochs (was 1)" "$WORK/resume.txt" &&
  [[ $(json_field "$WORK/resume.txt" 'j["epochs"]') == 1 ]] &&
  [[ $(wc -l <"$T/log.csv") -gt $rows_before && $(grep -c '^step,' "$T/log.csv") -eq 1 ]]; then
  pass "--resume --replan continues from the checkpoint over a new plan (one more epoch, same log.csv)"
else
  fail "--resume: $(tail -3 "$WORK/resume.txt")"
fi
[[ ! -e "$T/train_lr.txt" ]] && pass "train keeps its lr in the checkpoint, not in train_lr.txt" || fail "train wrote train_lr.txt"
# The schedule is in the checkpoint: an --lr auto SGDR run of one epoch, resumed for a second
# with no schedule options, ends with the weights of an uninterrupted two-epoch run.
SG=(--data synthetic --model smallcnn --limit-train 128 --limit-valid 32 --bs 32 --quiet --seed 5 --num-it 12)
"$CYC" train "${SG[@]}" --out "$WORK/sg2" --epochs 2 --schedule sgdr --schedule-opts "eta_min=1e-07" --json >"$WORK/sg2.txt" 2>&1
"$CYC" train "${SG[@]}" --out "$WORK/sg1" --epochs 1 --schedule sgdr --schedule-opts "eta_min=1e-07" >/dev/null 2>&1
if "$CYC" train "${SG[@]}" --out "$WORK/sg1" --epochs 2 --resume --json >"$WORK/sg1.txt" 2>&1 &&
  grep -q "resuming from" "$WORK/sg1.txt" && ! grep -q "using lr" "$WORK/sg1.txt" && [[ $(json_field "$WORK/sg1.txt" 'j["epochs"]') == 1 ]] &&
  [[ $(json_field "$WORK/sg1.txt" 'j["lr"]') == $(json_field "$WORK/sg2.txt" 'j["lr"]') ]] &&
  [[ $(json_field "$WORK/sg1.txt" 'j["schedule"]') == $(json_field "$WORK/sg2.txt" 'j["schedule"]') ]] &&
  cmp -s "$WORK/sg1/model.npz" "$WORK/sg2/model.npz"; then
  pass "--resume of an --lr auto sgdr run takes lr and schedule from the checkpoint (weights equal an uninterrupted run)"
else
  fail "--resume of an --lr auto sgdr run: $(tail -3 "$WORK/sg1.txt")"
fi
"$CYC" train "${SG[@]}" --out "$WORK/sg1" --epochs 2 --schedule sgdr --schedule-opts "eta_min=1e-07" --resume >/dev/null 2>&1 &&
  pass "--resume accepts the first run's schedule options" || fail "--resume with the first run's schedule options"
expect_error "--resume with another --schedule" "--schedule onecycle disagrees with .*its schedule is sgdr" -- \
  "$CYC" train "${SG[@]}" --out "$WORK/sg1" --schedule onecycle --resume
expect_error "--resume with another --lr" "--lr 0.07 disagrees with .*its schedule has max_lr=0.05, the options give max_lr=0.07" -- \
  "$CYC" train "${COMMON[@]}" --epochs 2 --lr 0.07 --resume
expect_error "--resume with other --schedule-opts" "its schedule has eta_min=1e-07, the options give eta_min=2e-07" -- \
  "$CYC" train "${SG[@]}" --out "$WORK/sg1" --schedule-opts "eta_min=2e-07" --resume
expect_error "--resume with another --cycle-len" "--cycle-len 2 disagrees with .*its schedule has cycle_len=1, the options give cycle_len=2" -- \
  "$CYC" train "${SG[@]}" --out "$WORK/sg1" --cycle-len 2 --resume
# A checkpoint from before they kept the schedule: an error, unless --lr gives the first run's lr.
mkdir -p "$WORK/old"
"$PY" - "$T/checkpoint.npz" "$WORK/old/checkpoint.npz" <<'PYEOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as src, zipfile.ZipFile(sys.argv[2], "w") as dst:
    for item in src.infolist():
        if not item.filename.startswith(("fit/", "schedule/")):
            dst.writestr(item, src.read(item.filename))
PYEOF
OLD=(--data synthetic --model smallcnn --limit-train 256 --limit-valid 64 --bs 32 --out "$WORK/old" --quiet --seed 3)
expect_error "--resume of a checkpoint without a schedule" "old/checkpoint.npz holds no schedule" -- "$CYC" train "${OLD[@]}" --epochs 3 --resume
"$CYC" train "${OLD[@]}" --epochs 3 --lr 0.05 --resume --json >"$WORK/old.txt" 2>&1 &&
  [[ $(json_field "$WORK/old.txt" 'j["epochs"]') == 1 ]] &&
  pass "--resume of a checkpoint without a schedule, given --lr, builds it from the options" ||
  fail "--resume of an old checkpoint with --lr: $(tail -3 "$WORK/old.txt")"
# --label-smoothing changes the loss from the first batch on (same seed, same weights);
# --nesterov changes the first update, so the second step's loss.
expect_error "label smoothing out of range" "--label-smoothing" -- "$CYC" train --data synthetic --label-smoothing 1.5 --out "$WORK/x" --quiet
loss_at() { awk -F, -v s="$2" 'NR > 1 && $1 == s && $3 != "nan" { print $5; exit }' "$1/log.csv"; }
SHORT=(--data synthetic --model smallcnn --limit-train 64 --limit-valid 32 --bs 32 --epochs 1 --lr 0.05 --quiet --seed 3)
"$CYC" train "${SHORT[@]}" --out "$WORK/ls0" >/dev/null 2>&1
"$CYC" train "${SHORT[@]}" --out "$WORK/ls1" --label-smoothing 0.5 >/dev/null 2>&1
"$CYC" train "${SHORT[@]}" --out "$WORK/nes" --nesterov >/dev/null 2>&1
if [[ $(cmp_loss "$(loss_at "$WORK/ls0" 0)" "$(loss_at "$WORK/ls1" 0)") == True ]]; then
  pass "--label-smoothing reaches the loss ($(loss_at "$WORK/ls0" 0) vs $(loss_at "$WORK/ls1" 0))"
else
  fail "--label-smoothing: step-0 losses '$(loss_at "$WORK/ls0" 0)' and '$(loss_at "$WORK/ls1" 0)'"
fi
if [[ $(loss_at "$WORK/ls0" 0) == $(loss_at "$WORK/nes" 0) && $(cmp_loss "$(loss_at "$WORK/ls0" 1)" "$(loss_at "$WORK/nes" 1)") == True ]]; then
  pass "--nesterov changes the first update, not the first loss"
else
  fail "--nesterov: losses $(loss_at "$WORK/ls0" 0),$(loss_at "$WORK/ls0" 1) vs $(loss_at "$WORK/nes" 0),$(loss_at "$WORK/nes" 1)"
fi
# finetune on synthetic data from the weights just trained, with the 4 groups merged into 2.
expect_error "finetune --groups 1" "--groups must be 0" -- "$CYC" finetune --data synthetic --weights "$T/model.npz" --groups 1 --out "$WORK/x" --quiet
expect_error "finetune --groups 7" "has only 4 layer groups" -- "$CYC" finetune --data synthetic --weights "$T/model.npz" --groups 7 --out "$WORK/x" --quiet
if "$CYC" finetune --data synthetic --model smallcnn --weights "$T/model.npz" --limit-train 128 --limit-valid 64 --bs 32 \
  --groups 2 --ratio 4 --lr 0.02 --cycles 1 --precise-bn 2 --quiet --seed 3 --out "$WORK/ft" --json >"$WORK/ft.txt" 2>&1 &&
  grep -q "block1+block2+block3 x0.25 head x1" "$WORK/ft.txt" &&
  [[ $(json_field "$WORK/ft.txt" '[g["name"] for g in j["groups"]] == ["block1+block2+block3", "head"] and abs(j["groups"][0]["lr"] - 0.005) < 1e-12') == True ]] &&
  [[ $(json_field "$WORK/ft.txt" 'j["precise_bn"]["batches"] == 2 and j["final_accuracy"] == j["precise_bn"]["accuracy"]') == True ]] &&
  [[ -s "$WORK/ft/finetuned.npz" ]]; then
  pass "finetune --groups 2 trains two groups 4x apart, then re-estimates BN on 2 batches"
else
  fail "finetune --groups 2: $(tail -3 "$WORK/ft.txt")"
fi
if "$CYC" lr-find --data synthetic --model smallcnn --limit-train 256 --bs 32 --num-it 30 --out "$WORK/lrf" --quiet \
  --json >"$WORK/lrf.txt" 2>&1 && [[ -s "$WORK/lrf/lr_find.png" ]] &&
  [[ $(wc -l <"$WORK/lrf/lr_find.csv") -ge 11 ]] && json_field "$WORK/lrf.txt" 'j["suggestions"]["valley"]' >/dev/null; then
  pass "lr-find writes the curve, the plot and suggestions"
else
  fail "lr-find: $(tail -3 "$WORK/lrf.txt")"
fi
# The range test's bar shows its lrs in scientific notation (not 0.000000 for the first half).
if "$CYC" lr-find --data synthetic --model smallcnn --limit-train 256 --bs 32 --num-it 30 --out "$WORK/lrf_bar" \
  >"$WORK/lrf_bar.txt" 2>&1 && grep -q "lr=[0-9]\.[0-9][0-9]e-0[67]" "$WORK/lrf_bar.txt" && ! grep -q "lr=0\.000000" "$WORK/lrf_bar.txt"; then
  pass "lr-find's progress bar prints its first lrs as 1.00e-07, not 0.000000"
else
  fail "lr-find's bar: $(grep -m2 'lr=' "$WORK/lrf_bar.txt")"
fi
# --lr auto takes the default rule's suggestion, --lr auto=RULE another's; the JSON says which.
for rule in auto auto=valley; do
  want=${rule#auto=}
  [[ $want == auto ]] && want=edge
  if "$CYC" train --data synthetic --model smallcnn --limit-train 256 --limit-valid 64 --bs 32 --epochs 1 --num-it 30 \
    --lr "$rule" --out "$WORK/lr_$want" --quiet --json >"$WORK/lr_$want.txt" 2>&1 &&
    [[ $(json_field "$WORK/lr_$want.txt" "j['lr_rule'] == '$want' and j['lr'] == j['lr_find']['$want']") == True ]] &&
    grep -q "using lr .* ($want suggestion)" "$WORK/lr_$want.txt"; then
    pass "train --lr $rule trains at the $want suggestion"
  else
    fail "train --lr $rule: $(tail -3 "$WORK/lr_$want.txt")"
  fi
done
# An image folder with a corrupt JPEG and a truncated PNG in train/: `verify` lists them and
# exits 2; train skips them with one warning line; the decode caches go to the shared cache
# folder (one per split, reused by the next run), never into --out.
IMG="$WORK/img"
"$PY" - "$IMG" <<'PYEOF'
import os, struct, sys, zlib
def png(path, seed, w=32, h=32):
    rows = b"".join(b"\0" + bytes((seed * 31 + 7 * y + x + 50 * k) % 256 for x in range(w) for k in range(3)) for y in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
root = sys.argv[1]
for split, n in (("train", 6), ("test", 3)):
    for c in ("cat", "dog"):
        for i in range(n):
            png(f"{root}/{split}/{c}/{i}.png", i + 10 * (c == "dog"))
with open(f"{root}/train/cat/bad.jpg", "wb") as f:
    f.write(b"\xff\xd8\xff\xe0 not a jpeg")
with open(f"{root}/train/dog/0.png", "rb") as f:
    data = f.read()
with open(f"{root}/train/dog/cut.png", "wb") as f:
    f.write(data[: len(data) // 2])
PYEOF
"$CYC" verify "folder:$IMG" --json >"$WORK/verify.txt" 2>&1
rc=$?
if [[ $rc -eq 3 ]] && grep -q "^$IMG/train/cat/bad.jpg: cannot decode image" "$WORK/verify.txt" &&
  grep -q "^$IMG/train/dog/cut.png: cannot decode image" "$WORK/verify.txt" &&
  grep -q "folder:$IMG/train: 2 of 14 files are not readable images" "$WORK/verify.txt" &&
  [[ $(json_field "$WORK/verify.txt" 'j["ok"] == False and j["checked"] == 20 and [b["path"][-11:] for b in j["bad"]] == ["cat/bad.jpg", "dog/cut.png"]') == True ]]; then
  pass "verify lists the corrupt JPEG and the truncated PNG and exits 3"
else
  fail "verify of a folder with bad files (rc=$rc): $(tail -3 "$WORK/verify.txt")"
fi
"$CYC" verify "folder:$IMG/test" >"$WORK/verify_ok.txt" 2>&1 && grep -q "all 6 files are readable 32x32 images" "$WORK/verify_ok.txt" &&
  pass "verify of a clean folder exits 0" || fail "verify of a clean folder: $(tail -2 "$WORK/verify_ok.txt")"
expect_error "verify needs folder:DIR" "expected folder:DIR" -- "$CYC" verify "$IMG"
expect_error "verify of a missing folder" "nope: not a directory" -- "$CYC" verify "folder:$WORK/nope"
FT=(--data "folder:$IMG" --model resnet20 --epochs 1 --lr 0.05 --bs 4 --quiet --seed 3)
if CYCLONE_CACHE_DIR="$WORK/cache" "$CYC" train "${FT[@]}" --out "$WORK/ftrain" --json >"$WORK/ftrain.txt" 2>"$WORK/ftrain.err" &&
  [[ $(wc -l <"$WORK/ftrain.err") -eq 1 ]] &&
  grep -q "skipped 2 of 14 files that are not readable images: cat/bad.jpg (cannot decode image" "$WORK/ftrain.err" &&
  [[ $(ls "$WORK/cache" | wc -l) -eq 2 && -s "$WORK/ftrain/model.npz" ]] && ! ls -a "$WORK/ftrain" | grep -q '^\.cache'; then
  pass "train on a folder with 2 bad files skips them with one warning; caches in the cache folder, none in --out"
else
  fail "train on a folder with bad files: $(tail -3 "$WORK/ftrain.err")"
fi
touch "$WORK/cache_marker"
if CYCLONE_CACHE_DIR="$WORK/cache" "$CYC" train "${FT[@]}" --out "$WORK/ftrain2" >/dev/null 2>"$WORK/ftrain2.err" &&
  grep -q "skipped 2 of 14" "$WORK/ftrain2.err" && [[ -z $(find "$WORK/cache" -newer "$WORK/cache_marker") ]]; then
  pass "a second run reuses the shared caches and still warns about the skipped files"
else
  fail "second run on the folder: $(tail -3 "$WORK/ftrain2.err")"
fi
if CYCLONE_CACHE_DIR="$WORK/nocache" "$CYC" train "${FT[@]}" --out "$WORK/ftrain3" --limit-train 5 --cache "$WORK/cache" \
  >/dev/null 2>"$WORK/ftrain3.err" && [[ ! -s "$WORK/ftrain3.err" ]] && ls "$WORK/cache" | grep -q "^img_train-limit5-" &&
  [[ $(ls "$WORK/cache" | wc -l) -eq 3 && ! -e "$WORK/nocache" ]]; then
  pass "--limit-train 5 decodes and caches only its 5 files (none of them bad), in --cache DIR"
else
  fail "--limit-train with --cache DIR: $(ls "$WORK/cache") $(tail -3 "$WORK/ftrain3.err")"
fi
if CYCLONE_CACHE_DIR="$WORK/nocache" "$CYC" train "${FT[@]}" --out "$WORK/ftrain4" --cache none >/dev/null 2>&1 &&
  [[ ! -e "$WORK/nocache" ]] && ! ls -a "$WORK/ftrain4" | grep -q '^\.cache'; then
  pass "--cache none writes no cache"
else
  fail "--cache none"
fi
"$CYC" info >/dev/null && pass "info" || fail "info"

echo "$passes passed, $fails failed"
[[ $fails -eq 0 ]]

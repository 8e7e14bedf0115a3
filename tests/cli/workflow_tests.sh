#!/usr/bin/env bash
# The failures a user of `cyclone` met, one check each: a diverged run, Ctrl-C, SIGTERM and
# kill -9 lose nothing and resume exactly; a checkpoint evaluates; resume honours or refuses
# what it is given; options are checked before anything runs, with one-line errors (and a
# JSON object under --json).
#   usage: workflow_tests.sh PATH/TO/cyclone WORK_DIR
set -uo pipefail
CYC=$1
WORK=$2
rm -rf "$WORK" && mkdir -p "$WORK"
PY=$(command -v /usr/bin/python3 || command -v python3)
source "$(dirname "$0")/test_lib.sh"
# The number of batch rows (rows with an lr) in a log.csv, and whether their steps are 0, 1, 2, ...
batch_rows() { "$PY" -c "
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r['lr'] != 'nan']
steps = [int(float(r['step'])) for r in rows]
print(len(rows), steps == list(range(len(steps))))" "$1"; }
# wait_rows LOG N PID: waits until LOG has at least N lines (or the process ended).
wait_rows() {
  for _ in $(seq 1 600); do
    [[ -f $1 && $(wc -l <"$1") -ge $2 ]] && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# 64 batches per epoch, 6 epochs: long enough to be interrupted in the middle.
RUN=(--data synthetic --model smallcnn --limit-train 2048 --limit-valid 64 --bs 32 --quiet --seed 3 --lr 0.05 --epochs 6)
"$CYC" train "${RUN[@]}" --out "$WORK/full" >/dev/null 2>&1

# ---- a diverged run leaves the folder's good model and checkpoint as they were ----
SMALL=(--data synthetic --model smallcnn --limit-train 256 --limit-valid 64 --bs 32 --quiet --seed 3)
"$CYC" train "${SMALL[@]}" --out "$WORK/nan" --lr 0.05 --epochs 1 >/dev/null 2>&1
cp "$WORK/nan/model.npz" "$WORK/good_model.npz"
cp "$WORK/nan/checkpoint.npz" "$WORK/good_checkpoint.npz"
"$CYC" train "${SMALL[@]}" --out "$WORK/nan" --lr 1e9 --schedule const --epochs 2 --json >"$WORK/nan.txt" 2>"$WORK/nan.err"
rc=$?
if [[ $rc -eq 3 ]] && cmp -s "$WORK/nan/model.npz" "$WORK/good_model.npz" &&
  cmp -s "$WORK/nan/checkpoint.npz" "$WORK/good_checkpoint.npz" && grep -q "model.npz not written: the run diverged" "$WORK/nan.txt" &&
  [[ $(json_field "$WORK/nan.txt" 'j["weights"]') == None && $(json_field "$WORK/nan.txt" 'j["stopped_on_nan"]') == True ]]; then
  pass "a run that diverges exits 3 and keeps the earlier model.npz and checkpoint byte for byte"
else
  fail "diverged run (rc=$rc): $(tail -2 "$WORK/nan.txt") $(tail -1 "$WORK/nan.err")"
fi

# ---- Ctrl-C finishes the step, writes a checkpoint, says how to resume; resuming ends where an uninterrupted run does ----
for sig in INT TERM; do
  D="$WORK/sig$sig"
  "$CYC" train "${RUN[@]}" --out "$D" >"$D.txt" 2>"$D.err" &
  pid=$!
  wait_rows "$D/log.csv" 100 $pid
  kill -$sig $pid
  wait $pid
  rc=$?
  want=$([[ $sig == INT ]] && echo 130 || echo 143)
  resume=$(sed -n 's/^continue with: //p' "$D.txt")
  if [[ $rc -eq $want && -s "$D/checkpoint.npz" && -s "$D/model.npz" && $resume == *"--resume"* ]] &&
    grep -q "^interrupted (SIG$sig) at step" "$D.txt"; then
    pass "SIG$sig stops the run with status $rc, a checkpoint, model.npz and the command that resumes it"
  else
    fail "SIG$sig (rc=$rc): $(cat "$D.txt" "$D.err" | head -c 400)"
  fi
  if eval "$resume" >"$D.resumed.txt" 2>&1 && cmp -s "$D/model.npz" "$WORK/full/model.npz" &&
    [[ $(batch_rows "$D/log.csv") == "384 True" ]]; then
    pass "the printed resume command ends SIG$sig's run with the uninterrupted run's weights, and a log without repeats"
  else
    fail "resume after SIG$sig: $(tail -2 "$D.resumed.txt") log: $(batch_rows "$D/log.csv")"
  fi
done

# ---- kill -9 after a checkpoint: the rows logged after it are dropped on resume ----
D="$WORK/kill"
"$CYC" train "${RUN[@]}" --out "$D" >/dev/null 2>&1 &
pid=$!
wait_rows "$D/log.csv" 100 $pid  # past the first epoch's checkpoint (row 66), mid-way through the second
kill -9 $pid
wait $pid 2>/dev/null
before=$(batch_rows "$D/log.csv")
"$CYC" train "${RUN[@]}" --out "$D" --resume >"$D.txt" 2>&1
if cmp -s "$D/model.npz" "$WORK/full/model.npz" && [[ $(batch_rows "$D/log.csv") == "384 True" ]]; then
  pass "a run killed with -9 resumes from its last checkpoint to the same weights; log.csv has each step once (was: $before)"
else
  fail "resume after kill -9: $(tail -2 "$D.txt"); log: $(batch_rows "$D/log.csv")"
fi

# ---- eval shows its progress (a bar on stderr unless --quiet) ----
"$CYC" eval --data synthetic --model smallcnn --limit-valid 64 --bs 16 --weights "$WORK/full/model.npz" >"$WORK/ev_bar.txt" 2>"$WORK/ev_bar.err"
if grep -q "^valid 100%|#*| 4/4" "$WORK/ev_bar.err" && grep -q "^top-1" "$WORK/ev_bar.txt"; then
  pass "eval shows a progress bar over the validation batches"
else
  fail "eval progress: $(head -c 300 "$WORK/ev_bar.err")"
fi

# ---- a checkpoint evaluates as weights ----
"$CYC" eval --data synthetic --model smallcnn --limit-valid 64 --weights "$WORK/full/checkpoint.npz" --quiet --json >"$WORK/ev_ckpt.txt" 2>&1
"$CYC" eval --data synthetic --model smallcnn --limit-valid 64 --weights "$WORK/full/model.npz" --quiet --json >"$WORK/ev_model.txt" 2>&1
if [[ $(json_field "$WORK/ev_ckpt.txt" 'j["mean_loss"]') == $(json_field "$WORK/ev_model.txt" 'j["mean_loss"]') ]]; then
  pass "eval --weights checkpoint.npz reads its model and scores as model.npz does"
else
  fail "eval of a checkpoint: $(tail -1 "$WORK/ev_ckpt.txt")"
fi

# ---- resume: what is given is honoured or refused with a reason ----
R=("${SMALL[@]}" --out "$WORK/re")
"$CYC" train "${R[@]}" --lr 0.05 --epochs 1 >/dev/null 2>&1
expect_error "resume with other --epochs of a one-cycle run names --replan" "planned for 1 epochs.*add --replan" -- \
  "$CYC" train "${R[@]}" --epochs 3 --resume
expect_error "resume with another --wd" "--wd 0.01 disagrees with .*its optimizer has weight_decay=0.0005" -- \
  "$CYC" train "${R[@]}" --wd 0.01 --resume
expect_error "resume with another --opt" "give the first run's --model, --opt and --groups" -- \
  "$CYC" train "${R[@]}" --opt adam --resume
NOSEED=(--data synthetic --model smallcnn --limit-train 256 --limit-valid 64 --bs 32 --quiet --out "$WORK/re")
expect_error "resume with another --seed" "--seed 4 disagrees with .*its run's seed is 3 (give --seed 3)" -- \
  "$CYC" train "${NOSEED[@]}" --seed 4 --resume
expect_error "resume without the first run's --seed" "--seed 0 (the default) disagrees with .*(give --seed 3)" -- \
  "$CYC" train "${NOSEED[@]}" --resume
expect_error "--momentum under one-cycle on resume" "sets the momentum itself" -- "$CYC" train "${R[@]}" --momentum 0.8 --resume
"$CYC" train "${R[@]}" --epochs 3 --resume --replan >"$WORK/replan.txt" 2>&1
if grep -q "re-planned: onecycle.* over 3 epochs (was 1); at step 8 the lr goes from 2e-07 to" "$WORK/replan.txt" &&
  [[ $(batch_rows "$WORK/re/log.csv") == "24 True" ]]; then
  pass "--resume --replan plans anew over the new epochs, says what changes at the step, and continues the log"
else
  fail "--replan: $(head -3 "$WORK/replan.txt")"
fi
expect_error "--replan needs --resume" "--replan: only with --resume" -- "$CYC" train "${SMALL[@]}" --out "$WORK/x" --replan

# ---- a warm-up is part of the fit: the one-cycle after it still anneals by the last step ----
"$CYC" train "${SMALL[@]}" --out "$WORK/warm" --lr 0.1 --epochs 2 --schedule-opts "warmup_steps=4" --json >"$WORK/warm.txt" 2>&1
last_lr=$("$PY" -c "
import csv, sys
print([float(r['lr']) for r in csv.DictReader(open(sys.argv[1])) if r['lr'] != 'nan'][-1])" "$WORK/warm/log.csv" 2>/dev/null)
if [[ $(json_field "$WORK/warm.txt" 'j["schedule"]') == *"total_steps=12,"* ]] &&
  "$PY" -c "import sys; sys.exit(0 if float(sys.argv[1]) < 1e-5 else 1)" "$last_lr"; then
  pass "with 4 warm-up steps of 16, one-cycle spans the other 12 and ends annealed (last lr $last_lr)"
else
  fail "warm-up: $(tail -1 "$WORK/warm.txt"), last lr $last_lr"
fi

# ---- --early-stop ends the run after an epoch without progress; --keep-best saves the best epoch ----
"$CYC" train "${SMALL[@]}" --out "$WORK/best" --lr 0.05 --schedule const --epochs 8 --early-stop 1 --monitor accuracy \
  --keep-best --json >"$WORK/best.txt" 2>&1
ran=$(json_field "$WORK/best.txt" 'j["epochs"]')
kept=$(json_field "$WORK/best.txt" 'j.get("kept_epoch")')
"$CYC" eval --data synthetic --model smallcnn --limit-valid 64 --weights "$WORK/best/model.npz" --quiet --json >"$WORK/best_ev.txt" 2>&1
if [[ $ran -lt 8 && $kept == $((ran - 1)) ]] && grep -q "^kept epoch $kept's weights, the best by accuracy" "$WORK/best.txt" &&
  [[ $(json_field "$WORK/best_ev.txt" 'j["top1"]') == $(json_field "$WORK/best.txt" 'j["final_accuracy"]') ]]; then
  pass "--early-stop 1 stopped after $ran epochs; --keep-best saved epoch $kept's weights, which eval scores as reported"
else
  fail "--early-stop/--keep-best: ran $ran, kept $kept: $(tail -2 "$WORK/best.txt" | head -c 300)"
fi

# ---- SGDR by cycles: a snapshot per cycle, named by cycle, also across an interrupt ----
CY=("${SMALL[@]}" --lr 0.05 --schedule sgdr --cycles 3 --cycle-mult 2)
"$CYC" train "${CY[@]}" --out "$WORK/cyc" --json >"$WORK/cyc.txt" 2>&1
if [[ $(json_field "$WORK/cyc.txt" 'j["epochs"]') == 7 && -s "$WORK/cyc/snapshot_1.npz" && -s "$WORK/cyc/snapshot_3.npz" ]] &&
  grep -q "^snapshots (one per SGDR cycle): .*snapshot_1.npz .*snapshot_2.npz .*snapshot_3.npz" "$WORK/cyc.txt"; then
  pass "train --schedule sgdr --cycles 3 --cycle-mult 2 runs 7 epochs and saves snapshot_1..3.npz"
else
  fail "train --cycles: $(tail -2 "$WORK/cyc.txt" | head -c 300)"
fi
D="$WORK/cyc_cut"
CYL=(--data synthetic --model smallcnn --limit-train 2048 --limit-valid 64 --bs 32 --quiet --seed 3 --lr 0.05 --schedule sgdr
  --cycles 3 --cycle-mult 2)
"$CYC" train "${CYL[@]}" --out "$D" >"$D.txt" 2>&1 &
pid=$!
wait_rows "$D/log.csv" 150 $pid  # in the second cycle (epochs 2-3, steps 64-191)
kill -INT $pid
wait $pid
"$CYC" train "${CYL[@]}" --out "$D" --resume >"$D.resumed.txt" 2>&1
"$CYC" train "${CYL[@]}" --out "$WORK/cyc_full" >/dev/null 2>&1
if cmp -s "$D/snapshot_3.npz" "$WORK/cyc_full/snapshot_3.npz" && cmp -s "$D/snapshot_2.npz" "$WORK/cyc_full/snapshot_2.npz" &&
  cmp -s "$D/model.npz" "$WORK/cyc_full/model.npz"; then
  pass "an SGDR run by cycles, interrupted in its second cycle and resumed, writes the uninterrupted run's snapshots"
else
  fail "SGDR cycles across an interrupt: $(tail -2 "$D.resumed.txt")"
fi
expect_error "SGDR set by epochs that end mid-cycle" "--epochs 2 ends SGDR in the middle of a cycle.*after epochs 1, 3, 7" -- \
  "$CYC" train "${SMALL[@]}" --out "$WORK/x" --lr 0.05 --schedule sgdr --cycle-mult 2 --epochs 2
expect_error "--cycles without sgdr" "--cycles 2: only with --schedule sgdr" -- "$CYC" train "${SMALL[@]}" --out "$WORK/x" --cycles 2
EV=(eval --data synthetic --model smallcnn --limit-valid 64 --quiet --json)
"$CYC" "${EV[@]}" --weights "$WORK/cyc/snapshot_2.npz,$WORK/cyc/snapshot_3.npz" >"$WORK/ens.txt" 2>&1
"$CYC" "${EV[@]}" --weights "$WORK/cyc/snapshot_3.npz,$WORK/cyc/snapshot_3.npz" >"$WORK/ens_same.txt" 2>&1
"$CYC" "${EV[@]}" --weights "$WORK/cyc/snapshot_3.npz" >"$WORK/ens_one.txt" 2>&1
if [[ $(json_field "$WORK/ens.txt" 'len(j["weights"])') == 2 ]] &&
  [[ $(json_field "$WORK/ens_same.txt" 'j["top1"]') == $(json_field "$WORK/ens_one.txt" 'j["top1"]') ]] &&
  "$PY" -c "import sys; sys.exit(0 if abs(float(sys.argv[1]) - float(sys.argv[2])) < 1e-4 else 1)" \
    "$(json_field "$WORK/ens_same.txt" 'j["mean_loss"]')" "$(json_field "$WORK/ens_one.txt" 'j["mean_loss"]')"; then
  pass "eval --weights a.npz,b.npz scores an ensemble; a model twice scores as the model"
else
  fail "eval ensemble: $(tail -1 "$WORK/ens.txt") / $(tail -1 "$WORK/ens_same.txt") / $(tail -1 "$WORK/ens_one.txt")"
fi

# ---- finetune: each phase keeps its own log, and the run says where everything went ----
FT=(finetune --data synthetic --model smallcnn --limit-train 256 --limit-valid 64 --bs 32 --quiet --seed 3
  --weights "$WORK/cyc/model.npz" --num-it 20)
"$CYC" "${FT[@]}" --out "$WORK/ft" --cycles 1 --json >"$WORK/ft.txt" 2>&1
head_rows=$(batch_rows "$WORK/ft/head/log.csv")
if [[ $head_rows == "8 True" && $(batch_rows "$WORK/ft/log.csv") == "8 True" ]] &&
  grep -q "^7. SGDR (1 cycle, cycle_len 1, cycle_mult 2)" "$WORK/ft.txt" &&
  grep -q "^wrote $WORK/ft/finetuned.npz (the model) and its snapshot $WORK/ft/snapshot_1.npz; log and plots in $WORK/ft/" "$WORK/ft.txt" &&
  grep -q "log and plots in $WORK/ft/head/" "$WORK/ft.txt"; then
  pass "finetune keeps the head phase's log in OUT/head/, says \"1 cycle\", and names the model and snapshot it wrote"
else
  fail "finetune output: head log $head_rows: $(grep -v '^{' "$WORK/ft.txt" | tail -4)"
fi
"$CYC" "${FT[@]}" --out "$WORK/ft2" --schedule onecycle --epochs 2 --lrs 1e-4,1e-2 --freeze-to 1 --head-schedule sgdr \
  --save "$WORK/ft2/mine.npz" --json >"$WORK/ft2.txt" 2>&1
if [[ -s "$WORK/ft2/mine.npz" && $(json_field "$WORK/ft2.txt" '"%.4g,%.4g" % (j["groups"][0]["lr"], j["groups"][-1]["lr"])') == "0.0001,0.01" ]] &&
  grep -q "^4. unfroze groups 1 to 3 of 4 (freeze_to 1)" "$WORK/ft2.txt" && [[ $(batch_rows "$WORK/ft2/log.csv") == "16 True" ]]; then
  pass "finetune --schedule onecycle --lrs 1e-4,1e-2 --freeze-to 1 --save: a slice of lrs, gradual unfreezing, the model where asked"
else
  fail "finetune choices: $(grep -v '^{' "$WORK/ft2.txt" | tail -4)"
fi
FTL=(finetune --data synthetic --model smallcnn --limit-train 2048 --limit-valid 64 --bs 32 --quiet --seed 3
  --weights "$WORK/cyc/model.npz" --lr 0.01 --cycles 3 --keep-last)
"$CYC" "${FTL[@]}" --out "$WORK/ft_full" >/dev/null 2>&1
D="$WORK/ft_cut"
"$CYC" "${FTL[@]}" --out "$D" >"$D.txt" 2>&1 &
pid=$!
wait_rows "$D/log.csv" 150 $pid  # the unfrozen phase, in its second cycle
kill -INT $pid
wait $pid
rc=$?
resume=$(sed -n 's/^continue with: //p' "$D.txt")
if [[ $rc -eq 130 && $resume == *"--resume"* ]] && eval "$resume" >"$D.resumed.txt" 2>&1 &&
  grep -q "^resuming the unfrozen phase from $D/checkpoint.npz at step" "$D.resumed.txt" &&
  cmp -s "$D/finetuned.npz" "$WORK/ft_full/finetuned.npz" && cmp -s "$D/snapshot_3.npz" "$WORK/ft_full/snapshot_3.npz" &&
  [[ $(batch_rows "$D/log.csv") == "448 True" ]] && grep -q "ensemble of 3 snapshots" "$D.resumed.txt"; then
  pass "finetune interrupted in its SGDR phase resumes with the printed command to the uninterrupted run's model and snapshots"
else
  fail "finetune --resume (rc=$rc): $(tail -3 "$D.txt") / $(tail -3 "$D.resumed.txt" 2>/dev/null)"
fi
FTH=(finetune --data synthetic --model smallcnn --limit-train 2048 --limit-valid 64 --bs 32 --quiet --seed 3
  --weights "$WORK/cyc/model.npz" --lr 0.01 --cycles 1 --keep-last --head-epochs 100)
"$CYC" "${FTH[@]}" --out "$WORK/fth_full" >/dev/null 2>&1
D="$WORK/fth_cut"
"$CYC" "${FTH[@]}" --out "$D" >"$D.txt" 2>&1 &
pid=$!
wait_rows "$D/head/log.csv" 2000 $pid  # about epoch 30 of the head's 100
kill -INT $pid
wait $pid
rc=$?
if [[ $rc -eq 130 && ! -e "$D/checkpoint.npz" ]] && "$CYC" "${FTH[@]}" --out "$D" --resume >"$D.resumed.txt" 2>&1 &&
  grep -q "resuming the head phase from $D/head/checkpoint.npz at step" "$D.resumed.txt" &&
  cmp -s "$D/finetuned.npz" "$WORK/fth_full/finetuned.npz" && [[ $(batch_rows "$D/head/log.csv") == "6400 True" ]]; then
  pass "finetune interrupted in its head phase resumes it, then runs the rest, to the uninterrupted run's model"
else
  fail "finetune --resume of the head phase (rc=$rc): $(tail -2 "$D.txt") / $(tail -2 "$D.resumed.txt" 2>/dev/null)"
fi
expect_error "finetune --tta-aug on 28x28 images" "--tta-aug: these 28x28 images get no training augmentation" -- \
  "$CYC" "${FT[@]}" --out "$WORK/x" --tta-aug 2
expect_error "finetune --resume with nothing to resume" "--resume: neither .*checkpoint.npz nor .*head/checkpoint.npz exists" -- \
  "$CYC" "${FT[@]}" --out "$WORK/ft_none" --resume
expect_error "finetune --lrs that is not LO,HI" "--lrs 1e-3: expected LO,HI with 0 < LO <= HI" -- \
  "$CYC" "${FT[@]}" --out "$WORK/x" --lrs 1e-3
expect_error "finetune --lrs with a bad number" "--lrs 1e-3,x: expected LO,HI" -- "$CYC" "${FT[@]}" --out "$WORK/x" --lrs 1e-3,x
expect_error "finetune --lrs with --ratio" "--ratio and --lrs: give one" -- "$CYC" "${FT[@]}" --out "$WORK/x" --lrs 1e-4,1e-2 --ratio 3
expect_error "finetune --epochs with sgdr" "--epochs: only with --schedule onecycle" -- "$CYC" "${FT[@]}" --out "$WORK/x" --epochs 3
expect_error "finetune --freeze-to past the groups" "--freeze-to 4: the model has 4 layer groups, so at most 3" -- \
  "$CYC" "${FT[@]}" --out "$WORK/x" --freeze-to 4

# ---- a random validation split from the training images, and TTA with the training augmentation ----
VP=(--data synthetic --model smallcnn --valid-pct 0.2 --limit-valid 200 --quiet --seed 4)
"$CYC" train "${VP[@]}" --limit-train 800 --bs 32 --epochs 1 --lr 0.05 --out "$WORK/vp" --json >"$WORK/vp.txt" 2>&1
"$CYC" eval "${VP[@]}" --weights "$WORK/vp/model.npz" --json >"$WORK/vp_ev.txt" 2>&1
"$CYC" eval --data synthetic --model smallcnn --limit-valid 200 --quiet --seed 4 --weights "$WORK/vp/model.npz" --json >"$WORK/vp_test.txt" 2>&1
if [[ $(json_field "$WORK/vp_ev.txt" 'j["count"]') == 200 ]] &&
  [[ $(json_field "$WORK/vp_ev.txt" 'j["top1"]') == $(json_field "$WORK/vp.txt" 'j["final_accuracy"]') ]] &&
  [[ $(json_field "$WORK/vp_ev.txt" 'j["mean_loss"]') != $(json_field "$WORK/vp_test.txt" 'j["mean_loss"]') ]]; then
  pass "--valid-pct 0.2 validates on held-out training images; eval with the same --valid-pct and --seed scores the same part"
else
  fail "--valid-pct: train $(tail -1 "$WORK/vp.txt" | head -c 200) eval $(tail -1 "$WORK/vp_ev.txt")"
fi
"$CYC" train --data synthetic --model resnet20 --limit-train 64 --limit-valid 64 --bs 32 --epochs 1 --lr 0.05 --quiet \
  --out "$WORK/r20" >/dev/null 2>&1
R20=(eval --data synthetic --model resnet20 --limit-valid 64 --weights "$WORK/r20/model.npz" --quiet --json)
"$CYC" "${R20[@]}" --tta-aug 2 >"$WORK/tta.txt" 2>&1
"$CYC" "${R20[@]}" --tta-aug 2 --tta-beta 1 >"$WORK/tta_b1.txt" 2>&1
"$CYC" "${R20[@]}" >"$WORK/tta_none.txt" 2>&1
if [[ $(json_field "$WORK/tta.txt" 'j["tta_aug"]["passes"]') == 2 && $(json_field "$WORK/tta.txt" 'j["count"]') == 64 ]] &&
  [[ $(json_field "$WORK/tta_b1.txt" 'j["correct"]') == $(json_field "$WORK/tta_none.txt" 'j["correct"]') ]]; then
  pass "eval --tta-aug 2 averages passes with the training crop and flip; --tta-beta 1 is the plain pass"
else
  fail "--tta-aug: $(tail -1 "$WORK/tta.txt") / $(tail -1 "$WORK/tta_b1.txt")"
fi
expect_error "--tta-aug on 28x28 images" "--tta-aug: these 28x28 images get no training augmentation" -- \
  "$CYC" eval --data synthetic --model smallcnn --limit-valid 64 --weights "$WORK/vp/model.npz" --tta-aug 2

# ---- options are checked before anything runs ----
Q=(--data synthetic --limit-train 64 --limit-valid 32 --quiet --out "$WORK/x")
expect_error "--epochs 0" "--epochs: expected a whole number >= 1, got '0'" -- "$CYC" train "${Q[@]}" --epochs 0
expect_error "a repeated option" "--epochs given 2 times; give it once" -- "$CYC" train "${Q[@]}" --epochs 2 --epochs 3
expect_error "--limit-train -5" "--limit-train: expected a whole number >= 0, got '-5'" -- "$CYC" train "${Q[@]}" --limit-train -5
expect_error "--threads -3" "--threads: expected a whole number >= 0" -- "$CYC" train "${Q[@]}" --threads -3
expect_error "--cycle-len -1" "--cycle-len: expected a number > 0" -- "$CYC" train "${Q[@]}" --schedule sgdr --cycle-len -1
expect_error "--momentum 1.5" "--momentum: expected a number in \[0, 1)" -- "$CYC" train "${Q[@]}" --momentum 1.5
expect_error "--momentum under one-cycle" "the onecycle schedule sets the momentum itself" -- "$CYC" train "${Q[@]}" --momentum 0.8
expect_error "--cycle-len where the schedule has no cycles" "the onecycle schedule has no cycles" -- "$CYC" train "${Q[@]}" --cycle-len 2
expect_error "--schedule-opts max_lr against --lr" "--schedule-opts max_lr=0.5 sets the peak lr, which --lr sets" -- \
  "$CYC" train "${Q[@]}" --lr 0.1 --schedule-opts max_lr=0.5
expect_error "bad --schedule-opts fail before the range test" "pct_start must be in (0, 1)" -- \
  "$CYC" train "${Q[@]}" --schedule-opts pct_start=2
expect_error "lr-find --num-it 3" "--num-it: expected a whole number >= 10" -- "$CYC" lr-find "${Q[@]}" --num-it 3
expect_error "a sweep that goes down" "--end-lr 0.001 must be above --start-lr" -- "$CYC" lr-find "${Q[@]}" --start-lr 1 --end-lr 1e-3
expect_error "an unknown option" "unknown option or argument '--bogus'" -- "$CYC" train "${Q[@]}" --bogus
"$CYC" train "${Q[@]}" --epochs 0 --json >"$WORK/json_err.txt" 2>/dev/null
rc=$?
if [[ $rc -eq 2 && $(json_field "$WORK/json_err.txt" 'j["error"]') == *"--epochs"* && $(json_field "$WORK/json_err.txt" 'j["command"]') == train ]]; then
  pass "under --json an error is a JSON object too"
else
  fail "--json error (rc=$rc): $(cat "$WORK/json_err.txt")"
fi

# ---- files that are not what they claim ----
head -c 3000 /dev/urandom >"$WORK/random.onnx"
expect_error "random bytes as .onnx" "random.onnx: not an ONNX model file" -- "$CYC" eval --data synthetic --model "$WORK/random.onnx"
expect_error "weights of another architecture, in one line" "missing keys (.*, and .* more)" -- \
  "$CYC" eval --data synthetic --model resnet9 --weights "$WORK/full/model.npz"

echo "workflow tests: $passes passed, $fails failed"
[[ $fails -eq 0 ]]

"""Checks the `cyclone finetune --json` result of tests/finetune/run_finetune.sh: prints the
accuracy after each stage of the recipe and passes when the fine-tuned model beats the
pretrained one by at least --min-gain (accuracy points, on the validation subset) and flip TTA
does not fall below the single model (measured: 1.4 to 2.0 points above it). With --target, it
also reports whether the single model reached that top-1 (in percent), without failing on it.

    check_finetune.py --result finetune.json --min-gain 2.0 --seconds 140 --train 5000 --valid 1000
                      [--device cpu] [--target 88.5] [--same-as cpu.json --loss-tol 1e-3]

With --same-as, the run must reproduce another one (the same recipe on another device): every
accuracy equal and every validation loss within --loss-tol (relative); the gain is not required
and flip TTA is not compared with the single model (a tiny subset has no room for either)."""
import argparse
import json
import math
import sys


def last_json_line(path):
    """The JSON object that `--json` prints as the last line of the output."""
    with open(path) as f:
        lines = [line for line in f.read().splitlines() if line.strip()]
    if not lines:
        raise ValueError(f"{path}: empty output")
    return json.loads(lines[-1])


def percent(x):
    return f"{100 * x:6.2f}%"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--result", required=True, help="cyclone finetune output; its last line is the JSON object")
    p.add_argument("--min-gain", type=float, required=True, help="points final_accuracy must exceed start_accuracy by")
    p.add_argument("--seconds", type=float, required=True, help="wall time of the run, for the summary")
    p.add_argument("--train", type=int, required=True, help="training images, for the summary")
    p.add_argument("--valid", type=int, required=True, help="validation images, for the summary")
    p.add_argument("--device", default="cpu", help="where it ran, for the summary")
    p.add_argument("--target", type=float, help="a single-model top-1 (percent) to report as met or not")
    p.add_argument("--same-as", help="another run's result that this one must reproduce")
    p.add_argument("--loss-tol", type=float, default=1e-3, help="relative tolerance on losses for --same-as")
    a = p.parse_args()

    try:
        j = last_json_line(a.result)
        start, head, final = j["start_accuracy"], j["head"]["accuracy"], j["final_accuracy"]
        tta, ensemble, epochs = j["tta_accuracy"], j["ensemble_accuracy"], j["epochs"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"FAIL: cannot read the finetune result: {e!r}")
        return 1
    values = [start, head, final, tta, ensemble] + [e["accuracy"] for e in epochs]
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
        print(f"FAIL: non-finite accuracy in {values}")
        return 1

    gain = 100 * (final - start)
    rows = [("pretrained", start), (f"head: {j['head']['epochs']} epoch(s) on cached features", head)]
    rows += [(f"SGDR epoch {e['epoch']} (valid loss {e['valid_loss']:.4f})", e["accuracy"]) for e in epochs]
    rows += [(f"fine-tuned (lr {j['lr']:.3g})", final), ("with flip TTA", tta),
             (f"ensemble of {len(j.get('snapshots', []))} snapshot(s)", ensemble)]
    print(f"resnet20 fine-tuned on {a.train} CIFAR-10 JPEGs, validated on {a.valid} ({a.device}):")
    for label, value in rows:
        print(f"  {label:<40}{percent(value)}")
    print(f"  gain: {gain:+.2f} points (required: >= {a.min_gain:+.2f}); cyclone finetune took {a.seconds:.0f} s")
    if a.target is not None:
        met = 100 * final >= a.target
        print(f"  target: single model >= {a.target:.2f}%: {'met' if met else 'NOT met'} ({percent(final).strip()})")
    if a.same_as:
        return compare(j, last_json_line(a.same_as), a.loss_tol)
    failed = False
    if gain < a.min_gain:
        print(f"FAIL: fine-tuning gained {gain:+.2f} points, below the required {a.min_gain:+.2f}")
        failed = True
    if tta < final:
        print(f"FAIL: flip TTA ({percent(tta)}) is below the single model ({percent(final)})")
        failed = True
    if failed:
        return 1
    print("PASS")
    return 0


def compare(got, want, tol):
    """PASS when `got` reproduces `want`: equal accuracies, losses within tol (relative)."""
    pairs = [("pretrained accuracy", got["start_accuracy"], want["start_accuracy"]),
             ("head accuracy", got["head"]["accuracy"], want["head"]["accuracy"]),
             ("final accuracy", got["final_accuracy"], want["final_accuracy"]),
             ("TTA accuracy", got["tta_accuracy"], want["tta_accuracy"])]
    losses = [(f"epoch {g['epoch']} valid loss", g["valid_loss"], w["valid_loss"])
              for g, w in zip(got["epochs"], want["epochs"])]
    failed = len(got["epochs"]) != len(want["epochs"])
    for label, g, w in pairs:
        ok = g == w
        print(f"  {label:<28} {g:.6f} vs {w:.6f} {'same' if ok else 'DIFFERENT'}")
        failed |= not ok
    for label, g, w in losses:
        rel = abs(g - w) / max(abs(w), 1e-12)
        ok = rel <= tol
        print(f"  {label:<28} {g:.6f} vs {w:.6f} (relative difference {rel:.1e}, allowed {tol:.0e})")
        failed |= not ok
    print("FAIL: the runs differ" if failed else "PASS: the two devices agree")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

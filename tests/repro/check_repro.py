"""Checks `cyclone eval --json --dump-logits N` results for a pretrained CIFAR ResNet
(run by tests/repro/run_repro.sh with Debian's python3-torch).

--mode subset: PyTorch evaluates the checkpoint on the very pixels cyclone decoded (an npz
  from cyclone_repro_pixels); cyclone must match its correct count, mean cross-entropy and
  every logit, and the first image (test/airplane/0000.jpg) must match the reference table.
--mode full: the 10,000 test images against the reference table of ../shared/models/README.md.
Tolerances: correct count within 3, mean cross-entropy within 2e-3, each logit within 1e-3."""
import argparse
import json
import os
import sys

COUNT_TOL, LOSS_TOL, LOGIT_TOL = 3, 2e-3, 1e-3

# ../shared/models/README.md: PyTorch 1.13, eval mode, float32, stb_image decode, ImageNet
# normalisation, on the 10,000 test images of ../shared/data/cifar10-jpg.
REFERENCE = {
    "resnet20": (8108, 0.8789, [7.8937, -1.1032, 2.6450, -1.0234, -2.8469, -6.8787, -3.3497, -6.4969, 6.9944, 4.1356]),
    "resnet32": (8252, 0.9225, [11.8392, -0.5859, 2.4810, -0.2231, -4.7109, -8.7631, -7.3768, -7.2331, 12.8341, 1.7448]),
    "resnet44": (8263, 0.9016, [13.1987, -0.2891, 0.4744, 1.9878, -4.9227, -9.8018, -6.9380, -3.3939, 5.8050, 3.8742]),
}
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def pytorch_reference(th, depth, pixels_npz):
    """(correct, mean loss, logits) of the checkpoint on cyclone's decoded pixels."""
    import numpy as np
    import torch
    import torch.nn.functional as F
    tools = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "python")
    sys.path.insert(0, tools)
    from cifar_resnet import resnet_cifar
    from convert_weights import clean_state_dict, find_state_dict, read_checkpoint
    sd = clean_state_dict(find_state_dict(read_checkpoint(th), th), th)
    model = resnet_cifar(depth)
    model.load_state_dict(sd)
    model.eval()
    data = np.load(pixels_npz)
    x = torch.from_numpy(data["pixels"]).float() / 255.0
    x = (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    y = torch.from_numpy(data["labels"])
    with torch.no_grad():
        logits = torch.cat([model(x[i:i + 500]) for i in range(0, len(x), 500)])
    correct = int((logits.argmax(1) == y).sum())
    loss = float(F.cross_entropy(logits.double(), y, reduction="mean"))
    return correct, loss, logits.numpy()


def max_diff(a, b):
    import numpy as np
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    return float(np.abs(a - b).max())


def check(label, result, ref_correct, ref_loss, ref_logits, readme_first):
    """Prints one line of measurements; returns a list of failures."""
    got_logits = result.get("logits", [])
    count_diff = result["correct"] - ref_correct
    loss_diff = result["mean_loss"] - ref_loss
    logit_diff = max_diff(got_logits, ref_logits)
    first_diff = max_diff(got_logits[:1], [readme_first])
    print(f"{label}: correct {result['correct']}/{result['count']} (reference {ref_correct}, diff {count_diff:+d}), "
          f"mean loss {result['mean_loss']:.6f} (reference {ref_loss:.6f}, diff {loss_diff:+.2e}), "
          f"max logit diff {logit_diff:.2e} over {len(ref_logits)} images, "
          f"test/airplane/0000.jpg vs README {first_diff:.2e}")
    fails = []
    if abs(count_diff) > COUNT_TOL:
        fails.append(f"{label}: correct count off by {count_diff} (tolerance {COUNT_TOL})")
    if not abs(loss_diff) <= LOSS_TOL:
        fails.append(f"{label}: mean loss off by {loss_diff:.3e} (tolerance {LOSS_TOL})")
    if not logit_diff <= LOGIT_TOL:
        fails.append(f"{label}: logits differ by up to {logit_diff:.3e} (tolerance {LOGIT_TOL})")
    if not first_diff <= LOGIT_TOL:
        fails.append(f"{label}: logits of test/airplane/0000.jpg differ from the README by {first_diff:.3e}")
    return fails


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mode", choices=["subset", "full"], required=True)
    p.add_argument("--model", choices=sorted(REFERENCE), required=True)
    p.add_argument("--th", help="the PyTorch checkpoint (subset mode)")
    p.add_argument("--pixels", help="npz of cyclone's decoded pixels (subset mode)")
    p.add_argument("--result", action="append", default=[], metavar="FORMAT=JSON",
                   help="a file holding cyclone eval's JSON line, e.g. onnx=eval_onnx.json")
    a = p.parse_args()
    readme_correct, readme_loss, readme_first = REFERENCE[a.model]
    if a.mode == "subset":
        if not a.th or not a.pixels:
            p.error("--mode subset needs --th and --pixels")
        ref_correct, ref_loss, ref_logits = pytorch_reference(a.th, int(a.model[len("resnet"):]), a.pixels)
        print(f"{a.model} PyTorch on cyclone's pixels ({len(ref_logits)} images): correct {ref_correct}, "
              f"mean loss {ref_loss:.6f}, test/airplane/0000.jpg vs README {max_diff(ref_logits[:1], [readme_first]):.2e}")
    else:
        ref_correct, ref_loss, ref_logits = readme_correct, readme_loss, [readme_first]
    fails = []
    for item in a.result:
        fmt, _, path = item.partition("=")
        with open(path) as f:
            lines = [line for line in f.read().splitlines() if line.strip()]
        try:
            result = json.loads(lines[-1])
        except (IndexError, json.JSONDecodeError):
            fails.append(f"{path}: no JSON line from cyclone eval")
            continue
        if a.mode == "subset" and result["count"] != len(ref_logits):
            fails.append(f"{path}: cyclone evaluated {result['count']} images, PyTorch {len(ref_logits)}")
            continue
        fails += check(f"{a.model} {fmt} {a.mode}", result, ref_correct, ref_loss, ref_logits, readme_first)
    for f in fails:
        print("FAIL " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())

"""PyTorch peer of bench_resnet20 on the GPU: ResNet-20 (tools/python/cifar_resnet.py,
the same model) at batch 128, fp32, torch.backends.cudnn.benchmark = True, one
fixed random batch, SGD (lr 0.01, momentum 0.9, weight decay 5e-4). Times
forward + backward and the full training step with the device synchronised
around each step, as bench_resnet20 does; median ms and images/s. Runs with
cuDNN TF32 allowed (PyTorch's default for convs) and without. Prints the same
table as bench_resnet20. tools/scripts/gpu_check.sh runs it when python3 has torch:
    python3 bench/pytorch_resnet20.py [--steps 50]"""
import argparse
import datetime
import os
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "python"))
from cifar_resnet import resnet_cifar  # noqa: E402

BATCH = 128
# (in channels, out channels, input size, stride, count, needs input gradient), as bench/model_shapes.h
RESNET20_CONVS = [(3, 16, 32, 1, 1, False), (16, 16, 32, 1, 6, True), (16, 32, 32, 2, 1, True),
                  (32, 32, 16, 1, 5, True), (32, 64, 16, 2, 1, True), (64, 64, 8, 1, 5, True)]


def train_step_gflop(batch):
    """Napkin GFLOP of one step: 2 per multiply-add; forward + wgrad (+ dgrad); the classifier."""
    macs = 64 * 10 * 3
    for c, k, size, stride, count, dgrad in RESNET20_CONVS:
        out = (size + 2 - 3) // stride + 1
        macs += k * c * 9 * out * out * count * (3 if dgrad else 2)
    return 2.0 * macs * batch / 1e9


def commit():
    if os.environ.get("CYCLONE_COMMIT"):
        return os.environ["CYCLONE_COMMIT"]
    try:
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
        return subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def time_steps(optimizer_step, warmup, steps):
    """(median ms, min ms, first loss, last loss) over `steps` steps after `warmup` untimed ones."""
    torch.manual_seed(0)
    model = resnet_cifar(20).cuda().train()
    x = torch.randn(BATCH, 3, 32, 32, device="cuda")
    y = ((torch.arange(BATCH) * 7 + 3) % 10).cuda()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        if optimizer_step:
            opt.step()
        return loss

    first = step().item()
    for _ in range(warmup - 1):
        step()
    times = []
    for _ in range(steps):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        loss = step()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), min(times), first, loss.item()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=20)
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("pytorch_resnet20: no CUDA device found; nothing to time")
        return 0
    torch.backends.cudnn.benchmark = True
    card = (f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}, CUDA {torch.version.cuda}, "
            f"cuDNN {torch.backends.cudnn.version()}")
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    gflop = train_step_gflop(BATCH)
    rows = []
    for tf32 in (True, False):
        torch.backends.cudnn.allow_tf32 = tf32
        for optimizer_step in (False, True):
            med, best, first, last = time_steps(optimizer_step, args.warmup, args.steps)
            sane = last < first if optimizer_step else abs(last - first) <= 1e-4 * abs(first)
            rows.append((f"pytorch {torch.__version__}", "resnet20 train step" if optimizer_step else "resnet20 fwd+bwd",
                         f"b{BATCH}, fp32, {'cudnn tf32' if tf32 else 'no tf32'}", med, best,
                         f"{'ok' if sane else 'FAIL'} loss {first:.4f} -> {last:.4f}"))
    torch.backends.cudnn.allow_tf32 = True
    print(f"pytorch_resnet20 | card: {card} | date: {date} | commit: {commit()}")
    print(f"\nmarkdown (pytorch_resnet20, {card}, {date}, commit {commit()}):\n")
    print("| impl | workload | setup | median ms | min ms | images/s | GFLOP/s | % PyTorch | check |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for impl, workload, setup, med, best, check in rows:
        print(f"| {impl} | {workload} | {setup} | {med:.3f} | {best:.3f} | {BATCH / med * 1e3:.0f} | "
              f"{gflop / med * 1e3:.1f} | - | {check} |")
    return 0 if all(r[5].startswith("ok") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

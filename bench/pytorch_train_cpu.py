"""PyTorch peer of bench_train_cpu: times whole CPU training steps (zero_grad,
forward, cross-entropy, backward, SGD with momentum 0.9 and weight decay 5e-4,
lr 0.01) on one fixed random batch, for ResNet-20 (tools/python/cifar_resnet.py) or a
SmallCNN equal to nn/models/small_nets.cpp; with --eval, inference forwards instead
(eval mode, torch.no_grad). bench_train_cpu runs it in the same run and reads the last line:
    RESULT,model,median_ms,min_ms,runs,first_loss,last_loss,torch_version
(with --eval, the two losses are the sums of the first and last outputs).
Run by hand with Debian's PyTorch:
    /usr/bin/python3 bench/pytorch_train_cpu.py --model resnet20 --threads 2"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "python"))
from cifar_resnet import resnet_cifar  # noqa: E402


class ConvBN(nn.Module):
    """conv 3x3 (pad 1, no bias) + BN + ReLU, as cyclone's ConvBN."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class SmallCNN(nn.Module):
    """1x28x28 -> [ConvBN 16, maxpool 2] -> [ConvBN 32, maxpool 2] -> ConvBN 64 -> avg pool -> linear."""

    def __init__(self, num_classes=10, in_channels=1):
        super().__init__()
        self.block1 = ConvBN(in_channels, 16)
        self.block2 = ConvBN(16, 32)
        self.block3 = ConvBN(32, 64)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        h = F.max_pool2d(self.block1(x), 2)
        h = F.max_pool2d(self.block2(h), 2)
        h = F.adaptive_avg_pool2d(self.block3(h), 1).flatten(1)
        return self.fc(h)


MODELS = {"resnet20": (lambda: resnet_cifar(20), (3, 32, 32)), "smallcnn": (SmallCNN, (1, 28, 28))}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=sorted(MODELS), default="resnet20")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=7)
    ap.add_argument("--eval", action="store_true", help="time inference forwards (eval mode, no autograd)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    make, (c, h, w) = MODELS[args.model]
    model = make().train()
    x = torch.randn(args.batch, c, h, w)
    y = (torch.arange(args.batch) * 7 + 3) % 10
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    if args.eval:
        model.eval()

        def step():  # noqa: F811
            with torch.no_grad():
                return model(x).sum()

    first = step().item()
    for _ in range(args.warmup - 1):
        step()
    times = []
    loss = None
    for _ in range(args.steps):
        t0 = time.perf_counter()
        loss = step()
        times.append((time.perf_counter() - t0) * 1e3)
    median = statistics.median(times)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.model} batch {args.batch}: "
          f"median {median:.1f} ms, {args.batch / median * 1e3:.0f} images/s")
    print(f"RESULT,{args.model},{median:.4f},{min(times):.4f},{len(times)},{first:.6f},{loss.item():.6f},"
          f"{torch.__version__}")


if __name__ == "__main__":
    main()

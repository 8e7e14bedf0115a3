#!/usr/bin/python3
"""Converts a PyTorch checkpoint of a CIFAR ResNet into files cyclone loads:
an .npz of float32 arrays under PyTorch's names, and/or an .onnx exported from
tools/python/cifar_resnet.py with BatchNorm nodes and state_dict names kept.

    /usr/bin/python3 tools/python/convert_weights.py resnet20-12fca82f.th --npz resnet20.npz --onnx resnet20.onnx

Reads the legacy and the zip torch.save formats; a bare state_dict, a dict holding
'state_dict' or 'model', or a pickled module; with or without DataParallel's
'module.' prefix. Needs Debian's python3-torch (and numpy)."""
import argparse
import os
import pickle
import re
import sys
import warnings

DEPTHS = (20, 32, 44, 56, 110)


class ConvertError(Exception):
    """A problem with the input that the user can fix; printed without a traceback."""


def read_checkpoint(path):
    import torch
    if not os.path.isfile(path):
        raise ConvertError(f"{path}: no such file")
    try:
        # weights_only refuses arbitrary code; the legacy format needs the full unpickler.
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        pass
    except Exception as e:  # not a checkpoint at all (zip or pickle errors of many kinds)
        raise ConvertError(f"{path}: cannot read as a PyTorch checkpoint ({type(e).__name__}: {e})") from None
    try:
        obj = torch.load(path, map_location="cpu")
    except Exception as e:
        raise ConvertError(f"{path}: cannot read as a PyTorch checkpoint ({type(e).__name__}: {e})") from None
    print(f"note: {path} needed full unpickling (legacy format or extra objects); convert only files you trust",
          file=sys.stderr)
    return obj


def find_state_dict(obj, path):
    """The tensor dict inside a checkpoint, whatever layout it was saved in."""
    import torch
    if isinstance(obj, torch.nn.Module):
        return obj.state_dict()
    if not isinstance(obj, dict):
        raise ConvertError(f"{path}: expected a state_dict or a dict holding one, found {type(obj).__name__}")
    for key in ("state_dict", "model"):
        inner = obj.get(key)
        if isinstance(inner, torch.nn.Module):
            return inner.state_dict()
        if isinstance(inner, dict):
            return inner
    if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
        return obj
    keys = ", ".join(repr(k) for k in list(obj)[:8])
    raise ConvertError(f"{path}: unknown checkpoint layout: no 'state_dict' or 'model' entry and not a bare "
                       f"state_dict (top-level keys: {keys})")


def clean_state_dict(sd, path):
    """Drops DataParallel's 'module.' prefix and checks every value is a tensor."""
    import torch
    if not sd:
        raise ConvertError(f"{path}: the state_dict is empty")
    if all(k.startswith("module.") for k in sd):
        sd = {k[len("module."):]: v for k, v in sd.items()}
    bad = [k for k, v in sd.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise ConvertError(f"{path}: state_dict entries that are not tensors: {', '.join(bad[:5])}")
    return dict(sd)


def to_arrays(sd):
    """float tensors as float32, num_batches_tracked (and other integer buffers) as int64."""
    import torch
    out = {}
    for k, v in sd.items():
        v = v.detach().cpu()
        out[k] = v.to(torch.float32).numpy() if v.is_floating_point() else v.to(torch.int64).numpy()
    return out


def write_npz(arrays, out):
    import numpy as np
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:  # a file object keeps numpy from appending ".npz"
        np.savez(f, **arrays)
    os.replace(tmp, out)


def infer_depth(sd, arch, path):
    blocks = {int(m.group(1)) for k in sd for m in [re.match(r"layer1\.(\d+)\.conv1\.weight$", k)] if m}
    inferred = 6 * (max(blocks) + 1) + 2 if blocks else None
    if arch:
        m = re.fullmatch(r"resnet(\d+)", arch)
        if not m or int(m.group(1)) not in DEPTHS:
            raise ConvertError(f"--arch {arch}: expected one of {', '.join(f'resnet{d}' for d in DEPTHS)}")
        depth = int(m.group(1))
        if inferred is not None and inferred != depth:
            raise ConvertError(f"--arch {arch}: {path} holds a resnet{inferred} ({len(blocks)} blocks per stage)")
        return depth
    if inferred is None:
        raise ConvertError(f"{path}: cannot infer the architecture (no layer1.N.conv1.weight keys); "
                           "the ONNX export supports the CIFAR ResNets only")
    if inferred not in DEPTHS:
        raise ConvertError(f"{path}: {len(blocks)} blocks per stage gives resnet{inferred}; pass --arch")
    return inferred


def export_onnx(sd, depth, out, path):
    import torch
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from cifar_resnet import resnet_cifar
    if "linear.weight" not in sd:
        raise ConvertError(f"{path}: no 'linear.weight' entry, so not a CIFAR ResNet state_dict")
    model = resnet_cifar(depth, num_classes=sd["linear.weight"].shape[0])
    try:
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in sd.items()})
    except RuntimeError as e:
        raise ConvertError(f"{path}: does not fit resnet{depth}: {e}") from None
    model.eval()
    tmp = out + ".tmp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # PRESERVE on an eval-mode model keeps BatchNormalization nodes and the state_dict names
        # (EVAL would fold BN into the convs and rename them onnx::Conv_NNN).
        torch.onnx.export(model, torch.zeros(1, 3, 32, 32), tmp, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                          training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    os.replace(tmp, out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", help="PyTorch checkpoint (.th/.pt/.pth; legacy or zip format)")
    p.add_argument("--npz", help="write float32 arrays under PyTorch's names to this .npz")
    p.add_argument("--onnx", help="write an ONNX export (BatchNorm and names kept) to this .onnx")
    p.add_argument("--arch", help="resnet20|resnet32|resnet44|resnet56|resnet110 (default: inferred)")
    a = p.parse_args(argv)
    if not a.npz and not a.onnx:
        p.error("nothing to do: give --npz OUT.npz and/or --onnx OUT.onnx")
    try:
        import torch  # noqa: F401
    except ImportError:
        print("convert_weights.py: needs PyTorch (Debian: apt-get install python3-torch; run with /usr/bin/python3)",
              file=sys.stderr)
        return 2
    try:
        sd = clean_state_dict(find_state_dict(read_checkpoint(a.input), a.input), a.input)
        depth = infer_depth(sd, a.arch, a.input) if (a.onnx or a.arch) else None
        if a.npz:
            write_npz(to_arrays(sd), a.npz)
            print(f"wrote {a.npz}: {len(sd)} arrays")
        if a.onnx:
            export_onnx(sd, depth, a.onnx, a.input)
            print(f"wrote {a.onnx}: resnet{depth}, BatchNorm kept, state_dict names")
    except ConvertError as e:
        print(f"convert_weights.py: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"convert_weights.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Helpers shared by the export scripts: argument parsing, ONNX export and saving, and the ORT-vs-torch check.

Nothing heavy is imported at module level, so every script's ``--help`` works without torch installed.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

DEFAULT_OPSET = 17
EXTERNAL_DATA_SUFFIX = "_data"  # model.onnx -> model.onnx_data, as Optimum names it
EXTERNAL_DATA_ALIGNMENT = 4096  # page-aligned offsets let ONNX Runtime memory-map the weights
EXTERNAL_DATA_THRESHOLD = 1024  # tensors smaller than this stay inside the .onnx file


class CheckFailed(Exception):
    """An exported model disagrees with its torch original (or a file is missing); the message says where."""


def parser(description, fp16=True, external_data_option=True, ortdiff_option=True):
    """An ``argparse`` parser with the options every script shares."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, type=Path, help="output folder (created; existing files are replaced)")
    p.add_argument("--opset", type=int, default=DEFAULT_OPSET, help=f"ONNX opset (default {DEFAULT_OPSET})")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="device for torch and for the ONNX Runtime check (cuda needs onnxruntime-gpu)")
    if fp16:
        p.add_argument("--fp16", action="store_true",
                       help="export float16 weights and float inputs/outputs (needs --device cuda, as Optimum does)")
    if external_data_option:
        p.add_argument("--no-external-data", action="store_true",
                       help="keep weights inside model.onnx when they fit (< 2 GB); by default every model keeps "
                            "its weights in model.onnx_data beside it, which the VJP models OrtDiffusion builds "
                            "refer to instead of copying them")
    if ortdiff_option:
        p.add_argument("--ortdiff", metavar="PATH",
                       help="an ortdiff executable: also check that OrtDiffusion can build the gradient graphs it "
                            "needs from the exported models (ortdiff grad), and fail if it cannot")
    return p


def require(module, hint="pip install -r onnx-export/requirements.txt"):
    """Imports a module by name or exits with a message saying how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        sys.exit(f"error: cannot import '{module}' ({e}). Install the pinned requirements: {hint}")


def check_fp16_args(args):
    if getattr(args, "fp16", False) and args.device != "cuda":
        sys.exit("error: --fp16 needs --device cuda (float16 kernels on CPU are missing in torch and ONNX Runtime)")


def log(message):
    print(message, flush=True)


# --- export and save ----------------------------------------------------------------------------------------------

def export_onnx(module, args, path, input_names, output_names, dynamic_axes, opset, external_data=True):
    """``torch.onnx.export`` (TorchScript exporter) of ``module`` on the example ``args`` into ``path``.

    torch writes models over 2 GB as one file per tensor; the export goes to a scratch folder first and is then
    saved as ``path`` with all weights in one ``<name>_data`` file (or inline when small and ``external_data`` is
    False). Returns ``path``."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".export-", dir=path.parent) as scratch:
        raw = Path(scratch) / path.name
        with torch.no_grad():
            torch.onnx.export(
                module,
                tuple(args),
                str(raw),
                input_names=list(input_names),
                output_names=list(output_names),
                dynamic_axes=dynamic_axes,
                opset_version=opset,
                do_constant_folding=True,
            )
        save_single_data_file(raw, path, external_data)
    check_model_file(path)
    return path


def save_single_data_file(src, dst, external_data=True, threshold=EXTERNAL_DATA_THRESHOLD):
    """Saves the model at ``src`` as ``dst``, with every tensor of at least ``threshold`` bytes in one external data
    file ``<dst name>_data`` (page-aligned offsets) when ``external_data`` is True or the weights exceed 2 GB.

    Streams tensor by tensor: reads each one from ``src``'s external files or inline bytes and appends it, so memory
    stays at one tensor even for the 19 GB T5 encoder (onnx.save_model would load them all)."""
    import onnx

    src, dst = Path(src), Path(dst)
    model = onnx.load(str(src), load_external_data=False)
    tensors = list(_all_tensors(model.graph))
    total = sum(_tensor_nbytes(t, src.parent) for t in tensors)
    if not external_data and total < 2_000_000_000:
        _atomic_save(onnx.load(str(src), load_external_data=True), dst)
        _remove_stale_data_file(dst)
        return

    data_name = dst.name + EXTERNAL_DATA_SUFFIX
    tmp_data = dst.parent / (data_name + ".tmp")
    with open(tmp_data, "wb") as out:
        for tensor in tensors:
            if _is_external(tensor):
                where = _external_info(tensor)
                length = _tensor_nbytes(tensor, src.parent)
                if length < threshold:
                    tensor.raw_data = _read_external(src.parent, where, length)
                    del tensor.external_data[:]
                    tensor.data_location = onnx.TensorProto.DEFAULT
                    continue
                offset = _pad_to_alignment(out)
                _copy_external(src.parent, where, length, out)
            elif tensor.HasField("raw_data") and len(tensor.raw_data) >= threshold:
                offset = _pad_to_alignment(out)
                length = len(tensor.raw_data)
                out.write(tensor.raw_data)
                tensor.ClearField("raw_data")
            else:
                continue
            del tensor.external_data[:]
            for key, value in (("location", data_name), ("offset", str(offset)), ("length", str(length))):
                entry = tensor.external_data.add()
                entry.key, entry.value = key, value
            tensor.data_location = onnx.TensorProto.EXTERNAL
    os.replace(tmp_data, dst.parent / data_name)
    _atomic_save(model, dst)


def _all_tensors(graph):
    """Initializers and tensor attributes (Constant nodes) of ``graph`` and of its subgraphs."""
    yield from graph.initializer
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.HasField("t"):
                yield attribute.t
            yield from attribute.tensors
            if attribute.HasField("g"):
                yield from _all_tensors(attribute.g)
            for subgraph in attribute.graphs:
                yield from _all_tensors(subgraph)


def _is_external(tensor):
    import onnx

    return tensor.HasField("data_location") and tensor.data_location == onnx.TensorProto.EXTERNAL


def _external_info(tensor):
    return {entry.key: entry.value for entry in tensor.external_data}


def _tensor_nbytes(tensor, base):
    if _is_external(tensor):
        where = _external_info(tensor)
        if where.get("length"):
            return int(where["length"])
        return os.path.getsize(os.path.join(base, where["location"])) - int(where.get("offset") or 0)
    return len(tensor.raw_data) if tensor.HasField("raw_data") else 0


def _read_external(base, where, length):
    with open(os.path.join(base, where["location"]), "rb") as f:
        f.seek(int(where.get("offset") or 0))
        data = f.read(length)
    if len(data) != length:
        raise CheckFailed(f"external data file {where['location']} ends before its tensor does")
    return data


def _copy_external(base, where, length, out, chunk=64 << 20):
    with open(os.path.join(base, where["location"]), "rb") as f:
        f.seek(int(where.get("offset") or 0))
        left = length
        while left > 0:
            block = f.read(min(chunk, left))
            if not block:
                raise CheckFailed(f"external data file {where['location']} ends before its tensor does")
            out.write(block)
            left -= len(block)


def _pad_to_alignment(out):
    position = out.tell()
    padding = (-position) % EXTERNAL_DATA_ALIGNMENT
    if padding:
        out.write(b"\0" * padding)
    return position + padding


def _atomic_save(model, dst):
    import onnx

    tmp = dst.parent / (dst.name + ".tmp")
    onnx.save_model(model, str(tmp))
    os.replace(tmp, dst)


def _remove_stale_data_file(dst):
    stale = dst.parent / (dst.name + EXTERNAL_DATA_SUFFIX)
    if stale.exists():
        stale.unlink()


def check_model_file(path):
    """``onnx.checker`` on the file (by path, so models over 2 GB work) and every external data file present."""
    import onnx

    path = Path(path)
    onnx.checker.check_model(str(path))
    model = onnx.load(str(path), load_external_data=False)
    for tensor in _all_tensors(model.graph):
        if _is_external(tensor):
            location = path.parent / _external_info(tensor)["location"]
            if not location.is_file():
                raise CheckFailed(f"{path}: tensor '{tensor.name}' refers to missing external data file {location}")


def external_data_files(path):
    """Locations of the external data files ``path`` refers to (relative to its folder)."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return sorted({_external_info(t)["location"] for t in _all_tensors(model.graph) if _is_external(t)})


# --- the ONNX Runtime check ---------------------------------------------------------------------------------------

def ort_session(path, device):
    """An ONNX Runtime session on ``device`` (CUDA needs the onnxruntime-gpu package)."""
    ort = require("onnxruntime")
    providers = ["CPUExecutionProvider"]
    if device == "cuda":
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise CheckFailed("--device cuda needs onnxruntime-gpu (pip uninstall onnxruntime; "
                              "pip install onnxruntime-gpu==1.19.2); available: " + ", ".join(ort.get_available_providers()))
        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    options = ort.SessionOptions()
    # The check compares numbers: keep ORT from fusing into kernels with other rounding (e.g. fast GELU).
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    return ort.InferenceSession(str(path), sess_options=options, providers=providers)


_ORT_NUMPY_TYPES = {
    "tensor(float)": "float32",
    "tensor(float16)": "float16",
    "tensor(double)": "float64",
    "tensor(int64)": "int64",
    "tensor(int32)": "int32",
    "tensor(bool)": "bool",
}


def run_ort(session, feeds):
    """Runs ``session`` on torch tensors / numpy arrays, each cast to the element type the model declares (e.g. int32
    ids for Optimum's text encoder). Returns ``{output name: numpy array}``."""
    import numpy as np

    declared = {i.name: i for i in session.get_inputs()}
    missing = sorted(set(declared) - set(feeds))
    if missing:
        raise CheckFailed(f"the check feeds no value for model input(s) {missing}")
    arrays = {}
    for name, value in feeds.items():
        if name not in declared:
            raise CheckFailed(f"model has no input '{name}'; it has {sorted(declared)}")
        array = value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
        dtype = _ORT_NUMPY_TYPES.get(declared[name].type)
        if dtype is None:
            raise CheckFailed(f"input '{name}' has element type {declared[name].type}, which the check does not feed")
        arrays[name] = np.ascontiguousarray(array.astype(dtype))
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, arrays)))


def compare(what, got, want, atol, rtol):
    """Fails unless ``|got - want| <= atol + rtol * |want|`` element-wise (numpy.allclose's rule) and shapes match.
    Prints the worst absolute difference either way."""
    import numpy as np

    want = want.detach().float().cpu().numpy() if hasattr(want, "detach") else np.asarray(want, dtype=np.float32)
    got = np.asarray(got, dtype=np.float32)
    if got.shape != want.shape:
        raise CheckFailed(f"{what}: ONNX Runtime gave shape {got.shape}, torch {want.shape}")
    if not np.all(np.isfinite(got)):
        raise CheckFailed(f"{what}: ONNX Runtime output has NaN or Inf")
    diff = np.abs(got - want)
    worst = float(diff.max()) if diff.size else 0.0
    bound = atol + rtol * np.abs(want)
    bad = diff > bound
    if bad.any():
        i = np.unravel_index(int(np.argmax(diff - bound)), diff.shape)
        raise CheckFailed(f"{what}: {int(bad.sum())} of {diff.size} values differ by more than atol={atol} + rtol={rtol}"
                          f"*|torch|; worst at {tuple(int(k) for k in i)}: onnx {got[i]:.6g} vs torch {want[i]:.6g}; "
                          f"max |diff| {worst:.3g}")
    log(f"  ok  {what}: shape {tuple(got.shape)}, max |diff| = {worst:.3g} (atol {atol}, rtol {rtol})")
    return worst


def smooth_images(batch, height, width, seed=0):
    """``[batch, 3, height, width]`` RGB test images in [0, 1]: a few low-frequency waves per channel, quantised to
    8 bits so that ``to_pil`` gives the very same pixels. Smooth content makes different resampling filters (PIL
    bicubic with antialias upstream, bilinear in our graphs) agree closely, which the upstream comparisons rely on."""
    import math

    import torch

    g = torch.Generator().manual_seed(seed)
    v = torch.linspace(0, 1, height).view(height, 1)
    u = torch.linspace(0, 1, width).view(1, width)
    images = torch.empty(batch, 3, height, width)
    for b in range(batch):
        for c in range(3):
            fu, fv, phase = (torch.rand(3, generator=g) * torch.tensor([2.5, 2.5, 2 * math.pi])).tolist()
            wave = torch.sin(2 * math.pi * (fu * u + fv * v) + phase)
            images[b, c] = 0.5 + 0.35 * wave + 0.1 * (u - v)
    return (images.clamp(0, 1) * 255).round() / 255


def to_pil(images):
    """PIL RGB images of a ``[B, 3, H, W]`` batch in [0, 1] (exact for ``smooth_images``' 8-bit values)."""
    import torch
    from PIL import Image

    arrays = (images.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
    return [Image.fromarray(a) for a in arrays]  # uint8 H x W x 3 is RGB


def check_differentiable(ortdiff, path, output, wrt):
    """Builds the VJP of ``output`` w.r.t. ``wrt`` with ``ortdiff grad`` (beside the model, as OrtDiffusion caches
    it, then deleted): fails naming ortdiff's reason when the differentiator cannot. Does nothing without ortdiff."""
    import re
    import subprocess

    if not ortdiff:
        return
    path = Path(path)
    vjp = path.parent / (path.stem + ".vjp-check.onnx")
    try:
        done = subprocess.run([ortdiff, "grad", "--model", str(path), "--of", output, "--wrt", ",".join(wrt),
                               "--out", str(vjp)], capture_output=True, text=True)
    finally:
        if vjp.exists():
            vjp.unlink()
    text = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr).strip()
    if done.returncode != 0:
        raise CheckFailed(f"ortdiff cannot differentiate {path} ({output} w.r.t. {', '.join(wrt)}): {text[-800:]}")
    log(f"  ok  ortdiff grad builds d{output}/d({', '.join(wrt)}) for {path}")


# --- folders ------------------------------------------------------------------------------------------------------

def write_json(path, obj):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / (path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def require_files(folder, relative_paths):
    """Fails naming every listed file that is missing from ``folder``."""
    folder = Path(folder)
    missing = [p for p in relative_paths if not (folder / p).is_file()]
    if missing:
        raise CheckFailed(f"{folder} lacks {', '.join(missing)}")
    log(f"  ok  {folder} has {', '.join(relative_paths)}")


def copy_file(src, dst):
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def main_guard(run):
    """Runs ``run()``; a failed check prints ``CHECK FAILED`` with its reason and exits with status 1."""
    try:
        run()
    except CheckFailed as e:
        print(f"CHECK FAILED: {e}", file=sys.stderr, flush=True)
        sys.exit(1)

#!/usr/bin/env python3
"""Checks what can be checked of the export scripts without the upstream packages or their weights.

Needs torch and onnx only (Debian's /usr/bin/python3 has torch 1.13 and onnx 1.12). The reward and PixArt wrapper
modules are traced with small random stand-in networks in place of CLIP / BLIP / T5 / the DiT, through the very
export_common.export_onnx the real scripts use, and then:

  - the preprocessing is compared with an independent transcription of torchvision's resize / centre-crop
    arithmetic, and the PixArt position table with an independent numpy version of diffusers' formula;
  - each exported graph is run in ONNX Runtime -- the onnxruntime package if importable, otherwise the `ortdiff run`
    command of this repository (--ortdiff, or the one `dotnet build src/OrtDiffusion.Cli` leaves in its bin/
    folder) -- at several image sizes and compared with torch;
  - with ortdiff: `ortdiff info` must find every input differentiable, and `ortdiff grad` builds the VJP w.r.t.
    the images, whose gradient is compared with torch autograd;
  - the external-data writer is checked on a model saved one file per tensor (as torch saves models over 2 GB);
  - every script compiles and answers --help with torch unavailable;
  - dry runs: export_rewards / export_pixart / export_fid_inception / export_sd15 --check-only run end to end
    with the upstream packages replaced by selfcheck_fakes (tiny random networks behind the same calls).

Prints one line per check and 'N passed, N failed' (', N skipped'); exits 1 when something failed.

  /usr/bin/python3 onnx-export/selfcheck.py [--ortdiff src/OrtDiffusion.Cli/bin/Release/net10.0/ortdiff]
"""
import argparse
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
SCRIPTS = ["export_sd15.py", "export_rewards.py", "export_pixart.py", "export_fid_inception.py"]
MODULES = ["export_common.py", "reward_modules.py", "pixart_modules.py", "selfcheck.py", "selfcheck_fakes.py"]


class Skip(Exception):
    pass


class Runner:
    def __init__(self):
        self.passed, self.failed, self.skipped = 0, 0, 0

    def check(self, name, fn):
        try:
            detail = fn()
            self.passed += 1
            print(f"PASS {name}" + (f": {detail}" if detail else ""), flush=True)
        except Skip as e:
            self.skipped += 1
            print(f"SKIP {name}: {e}", flush=True)
        except Exception as e:  # noqa: BLE001 -- report every failure and go on
            self.failed += 1
            print(f"FAIL {name}: {e}", flush=True)
            traceback.print_exc(limit=3)


# --- running ONNX models -------------------------------------------------------------------------------------------

class OnnxRunner:
    """Runs a model with the onnxruntime package, or through `ortdiff run` when that is all there is."""

    def __init__(self, ortdiff):
        self.ortdiff = ortdiff
        try:
            import onnxruntime  # noqa: F401

            self.python = True
        except ImportError:
            self.python = False

    @property
    def available(self):
        return self.python or self.ortdiff is not None

    def run(self, model, feeds):
        import numpy as np

        if self.python:
            import export_common as common

            return common.run_ort(common.ort_session(model, "cpu"), feeds)
        if self.ortdiff is None:
            raise Skip("neither the onnxruntime package nor an ortdiff executable is available")
        with tempfile.TemporaryDirectory() as work:
            command = [self.ortdiff, "run", "--model", str(model), "--out", os.path.join(work, "out")]
            for name, value in feeds.items():
                array = value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
                np.save(os.path.join(work, name + ".npy"), array)
                command += ["--input", f"{name}={os.path.join(work, name + '.npy')}"]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                raise AssertionError(f"ortdiff run: {(done.stdout + done.stderr).strip()[-600:]}")
            return {p.stem: np.load(p) for p in Path(work, "out").glob("*.npy")}

    def differentiable(self, model):
        if self.ortdiff is None:
            raise Skip("no ortdiff executable (dotnet build src/OrtDiffusion.Cli, or pass --ortdiff)")
        text = subprocess.run([self.ortdiff, "info", "--model", str(model)], check=True, capture_output=True,
                              text=True).stdout
        if "not differentiable" in text:
            raise AssertionError("ortdiff info: " + text[text.index("not differentiable"):][:400])
        return "differentiable" in text

    def grad(self, model, of, wrt):
        if self.ortdiff is None:
            raise Skip("no ortdiff executable (dotnet build src/OrtDiffusion.Cli, or pass --ortdiff)")
        out = Path(model).with_name(Path(model).stem + f".vjp.{wrt}.onnx")
        done = subprocess.run([self.ortdiff, "grad", "--model", str(model), "--of", of, "--wrt", wrt, "--out", str(out)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise AssertionError(f"ortdiff grad: {(done.stdout + done.stderr).strip()[-600:]}")
        return out


def find_ortdiff(given, disabled=False):
    if disabled:
        return None
    if given:
        if not Path(given).is_file():
            sys.exit(f"error: --ortdiff {given} does not exist")
        return given
    repo = HERE.parent
    for configuration in ("Release", "Debug"):
        candidate = repo / "src" / "OrtDiffusion.Cli" / "bin" / configuration / "net10.0" / "ortdiff"
        if candidate.is_file():
            return str(candidate)
    return shutil.which("ortdiff")


def assert_close(what, got, want, atol, rtol=0.0):
    import numpy as np

    want = want.detach().cpu().numpy() if hasattr(want, "detach") else np.asarray(want)
    got = np.asarray(got)
    assert got.shape == want.shape, f"{what}: shape {got.shape} vs {want.shape}"
    worst = float(np.abs(got - want).max())
    assert np.allclose(got, want, atol=atol, rtol=rtol), f"{what}: max |diff| {worst:.3g} > atol {atol} + rtol {rtol}"
    return worst


# --- stand-in networks ----------------------------------------------------------------------------------------------

def stand_ins():
    """Small random networks with the interfaces the wrappers expect (not the real architectures)."""
    import torch
    import torch.nn as nn

    torch.manual_seed(0)

    class Vision(nn.Module):  # pixels [B, 3, 224, 224] -> tokens [B, 1 + 49, width]
        def __init__(self, width=16):
            super().__init__()
            self.patch = nn.Conv2d(3, width, kernel_size=32, stride=32)
            self.cls = nn.Parameter(torch.randn(1, 1, width) * 0.1)
            self.norm = nn.LayerNorm(width)
            self.mlp = nn.Sequential(nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, width))

        def forward(self, pixels):
            x = self.patch(pixels).flatten(2).transpose(1, 2)
            x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1)
            return x + self.mlp(self.norm(x))

    class ImageFeatures(nn.Module):  # pooled class token, projected: a CLIP-like image tower
        def __init__(self, dim):
            super().__init__()
            self.vision = Vision()
            self.proj = nn.Linear(16, dim, bias=False)

        def forward(self, pixels):
            return self.proj(self.vision(pixels).mean(dim=1))

    class TextFeatures(nn.Module):  # ids [B, 77] -> features at the EOS (largest id), as CLIP pools
        def __init__(self, dim, vocab=1000):
            super().__init__()
            self.embed = nn.Embedding(vocab, 16)
            self.position = nn.Parameter(torch.randn(77, 16) * 0.1)
            self.norm = nn.LayerNorm(16)
            self.proj = nn.Linear(16, dim, bias=False)

        def forward(self, ids):
            x = self.norm(self.embed(ids) + self.position)
            return self.proj(x[torch.arange(x.shape[0]), ids.argmax(dim=-1)])

    class CrossText(nn.Module):  # BLIP-text-like: token states attend to the image tokens, masked
        def __init__(self, vocab=1000, width=16):
            super().__init__()
            self.embed = nn.Embedding(vocab, width)
            self.q, self.k, self.v = nn.Linear(width, width), nn.Linear(16, width), nn.Linear(16, width)
            self.norm = nn.LayerNorm(width)

        def forward(self, ids, mask, image_embeds, image_atts):
            h = self.embed(ids) * mask.unsqueeze(-1).to(torch.float32)
            scores = self.q(h) @ self.k(image_embeds).transpose(1, 2) / 4.0
            scores = scores + (1.0 - image_atts[:, None, :].to(torch.float32)) * -10000.0
            return self.norm(h + scores.softmax(dim=-1) @ self.v(image_embeds))

    return Vision, ImageFeatures, TextFeatures, CrossText


def smooth(batch, height, width, seed):
    import export_common as common

    return common.smooth_images(batch, height, width, seed)


# --- checks --------------------------------------------------------------------------------------------------------

def check_scripts_compile():
    for name in SCRIPTS + MODULES:
        py_compile.compile(str(HERE / name), doraise=True)
    return f"{len(SCRIPTS + MODULES)} files"


def check_help_without_torch():
    # A None entry in sys.modules makes 'import torch' raise ImportError.
    for script in SCRIPTS:
        code = ("import runpy, sys; sys.modules.update({m: None for m in ('torch', 'onnx', 'numpy', 'onnxruntime')}); "
                f"sys.argv = [{str(HERE / script)!r}, '--help']; runpy.run_path(sys.argv[0], run_name='__main__')")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0 and "--out" in done.stdout, f"{script} --help: {done.stderr[-400:]}"
    return f"{len(SCRIPTS)} scripts"


def torchvision_reference(images, size, mode):
    """torchvision.transforms.functional.resize(img, size) + center_crop(img, size) on tensors, antialias off,
    transcribed from the documented arithmetic: new_short = size, new_long = int(size * long / short);
    crop offsets int(round((side - size) / 2.0))."""
    import torch
    import torch.nn.functional as F

    from reward_modules import CLIP_MEAN, CLIP_STD

    h, w = images.shape[-2:]
    short, long = (w, h) if w <= h else (h, w)
    new_long = int(size * long / short)
    nh, nw = (new_long, size) if w <= h else (size, new_long)
    x = F.interpolate(images, size=(nh, nw), mode=mode, align_corners=False)
    top, left = int(round((nh - size) / 2.0)), int(round((nw - size) / 2.0))
    x = x[:, :, top:top + size, left:left + size]
    return (x - torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)) / torch.tensor(CLIP_STD).view(1, 3, 1, 1)


# (224, 227) and (231, 224): the long side exceeds 224 by 3, where round(1.5) = 2 differs from floor.
SIZES = [(224, 224), (512, 512), (512, 768), (768, 512), (300, 451), (224, 227), (231, 224), (1000, 240)]


def check_preprocess_eager():
    from reward_modules import ResizeCropNormalize

    worst = 0.0
    for mode in ("bilinear", "bicubic"):
        module = ResizeCropNormalize(224, mode)
        for h, w in SIZES:
            images = smooth(2, h, w, seed=h + w)
            got = module(images)
            worst = max(worst, assert_close(f"{mode} {h}x{w}", got, torchvision_reference(images, 224, mode), 1e-6))
    return f"{len(SIZES)} sizes x 2 modes, max |diff| {worst:.2g}"


def exported(work, name, module, args, inputs, outputs, axes):
    import export_common as common

    path = Path(work) / name / "model.onnx"
    common.export_onnx(module, args, path, inputs, outputs, axes, 17, external_data=True)
    return path


def check_preprocess_onnx(work, ort):
    import torch

    from reward_modules import ResizeCropNormalize

    results = []
    for mode in ("bilinear", "bicubic"):
        module = ResizeCropNormalize(224, mode)
        path = exported(work, f"preprocess-{mode}", module, (smooth(1, 300, 400, 0),), ["images"], ["pixels"],
                        {"images": {0: "batch_size", 2: "height", 3: "width"}, "pixels": {0: "batch_size"}})
        if not ort.available:
            raise Skip("exported; no ONNX Runtime to run it")
        for h, w in SIZES:
            images = smooth(2, h, w, seed=h * w)
            with torch.no_grad():
                want = module(images)
            results.append(assert_close(f"{mode} {h}x{w}", ort.run(path, {"images": images})["pixels"], want, 1e-4))
    return f"{len(results)} runs, max |onnx - torch| {max(results):.2g}"


def reward_cases():
    """(name, wrapper, example text inputs (names, tensors, axes)) for each reward kind, on stand-in networks."""
    import torch

    from reward_modules import (Adapter, AestheticMlp, AestheticScore, CosineScore, ImageRewardScore,
                                NormalisedText, ResizeCropNormalize)

    Vision, ImageFeatures, TextFeatures, CrossText = stand_ins()
    preprocess = ResizeCropNormalize(224)
    text_embeds = torch.nn.functional.normalize(torch.randn(1, 12), dim=-1)
    ids = torch.randint(1, 900, (1, 35))
    mask = torch.ones(1, 35, dtype=torch.int64)
    mask[:, 12:] = 0
    mlp = AestheticMlp(768)
    expected_keys = {f"layers.{i}.{p}" for i in (0, 2, 4, 6, 7) for p in ("weight", "bias")}
    assert set(mlp.state_dict()) == expected_keys, f"AestheticMlp keys {sorted(mlp.state_dict())}"
    vision = Vision()
    ir_mlp = AestheticMlp(16)
    return [
        ("clip", CosineScore(ImageFeatures(12), preprocess).eval(),
         [("text_embeds", text_embeds, {0: "text_batch"})]),
        ("aesthetic", AestheticScore(ImageFeatures(768), preprocess, mlp).eval(), []),
        ("image_reward", ImageRewardScore(Adapter(vision, lambda m, p: m(p)), CrossText(), ir_mlp, preprocess).eval(),
         [("input_ids", ids, {0: "text_batch", 1: "sequence_length"}),
          ("attention_mask", mask, {0: "text_batch", 1: "sequence_length"})]),
    ], NormalisedText(TextFeatures(12)).eval()


def check_rewards(work, ort, runner):
    import torch

    cases, text_model = reward_cases()
    for name, wrapper, text in cases:
        names = ["images"] + [t[0] for t in text]
        axes = {"images": {0: "batch_size", 2: "height", 3: "width"}, "score": {0: "batch_size"}}
        axes.update({t[0]: t[2] for t in text})
        example = [smooth(2, 512, 640, 1)] + [t[1] for t in text]
        path = exported(work, name, wrapper, example, names, ["score"], axes)

        def run_sizes(path=path, wrapper=wrapper, text=text, names=names):
            if not ort.available:
                raise Skip("no ONNX Runtime")
            worst = 0.0
            for batch, (h, w) in zip((1, 2, 3), ((512, 512), (768, 512), (300, 451))):
                images = smooth(batch, h, w, seed=batch)
                rows = [t[1].expand(batch, -1) if batch == 3 else t[1] for t in text]  # 1 row, or 1 per image
                with torch.no_grad():
                    want = wrapper(images, *rows)
                got = ort.run(path, dict(zip(names, [images] + rows)))["score"]
                worst = max(worst, assert_close(f"{batch}x{h}x{w}", got, want, 1e-4, 1e-4))
            return f"3 sizes, max |onnx - torch| {worst:.2g}"

        def differentiable(path=path):
            ort.differentiable(path)
            return "ortdiff info: every input differentiable"

        def gradient(path=path, wrapper=wrapper, text=text, names=names):
            vjp = ort.grad(path, "score", "images")
            images = smooth(2, 384, 520, seed=11).requires_grad_(True)
            rows = [t[1] for t in text]
            cotangent = torch.tensor([1.0, -0.5])
            (wrapper(images, *rows) * cotangent).sum().backward()
            got = ort.run(vjp, dict(zip(names + ["score_grad"], [images.detach()] + rows + [cotangent])))
            scale = float(images.grad.abs().max())
            assert scale > 0, "the stand-in's gradient w.r.t. the images is zero: the check would prove nothing"
            worst = assert_close("images_grad", got["images_grad"], images.grad, 1e-4 * max(scale, 1e-6), 1e-3)
            return f"VJP w.r.t. images vs autograd: max |diff| {worst:.2g} (max |grad| {scale:.2g})"

        def contract(path=path, text=text):
            want = {"images": ["batch_size", 3, "height", "width"], "score": ["batch_size"],
                    "text_embeds": ["text_batch", 12], "input_ids": ["text_batch", "sequence_length"],
                    "attention_mask": ["text_batch", "sequence_length"]}
            got = graph_dims(path)
            expected = {k: want[k] for k in ["images", "score"] + [t[0] for t in text]}
            assert got == expected, f"{got} != {expected}"
            return ", ".join(f"{k} {v}" for k, v in got.items())

        runner.check(f"reward {name}: input/output names and symbolic dims", contract)
        runner.check(f"reward {name}: ONNX Runtime vs torch", run_sizes)
        runner.check(f"reward {name}: differentiable", differentiable)
        runner.check(f"reward {name}: ortdiff VJP vs torch autograd", gradient)

    ids = torch.randint(1, 900, (2, 77))
    ids[0, 9] = 999  # EOS-like largest ids
    ids[1, 4] = 999
    path = exported(work, "text_model", text_model, (ids,), ["input_ids"], ["text_embeds"],
                    {"input_ids": {0: "batch_size"}, "text_embeds": {0: "batch_size"}})

    def text_run():
        if not ort.available:
            raise Skip("no ONNX Runtime")
        other = torch.randint(1, 900, (3, 77))
        other[:, 20] = 999
        worst = 0.0
        for x in (ids, other):
            with torch.no_grad():
                want = text_model(x)
            worst = max(worst, assert_close("text_embeds", ort.run(path, {"input_ids": x})["text_embeds"], want, 1e-5))
        return f"max |onnx - torch| {worst:.2g}"

    runner.check("text_model: ONNX Runtime vs torch", text_run)


def diffusers_pos_embed_numpy(embed_dim, gh, gw, base_size, interpolation_scale):
    """diffusers' 2-D sin-cos table, written out independently in numpy from its definition: coordinates
    j / (g / base) / scale in float32 per axis, frequencies 10000^(-k / (D/4)) in float64, patches row-major,
    [sin(w·f), cos(w·f), sin(h·f), cos(h·f)] along the channels."""
    import numpy as np

    ys = np.arange(gh, dtype=np.float32) / np.float32(gh / base_size) / np.float32(interpolation_scale)
    xs = np.arange(gw, dtype=np.float32) / np.float32(gw / base_size) / np.float32(interpolation_scale)
    freqs = 1.0 / 10000 ** (np.arange(embed_dim // 4, dtype=np.float64) / (embed_dim / 4.0))
    col = np.tile(xs, gh).astype(np.float64)[:, None] * freqs
    row = np.repeat(ys, gw).astype(np.float64)[:, None] * freqs
    return np.concatenate([np.sin(col), np.cos(col), np.sin(row), np.cos(row)], axis=1)


def graph_dims(path):
    """{input/output name: [dim_param or dim_value, ...]} of an ONNX file."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    return {v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
            for v in list(graph.input) + list(graph.output)}


def check_pixart_positions():
    from pixart_modules import SinCosPositions2d

    worst = 0.0
    for dim, base, scale, (gh, gw) in [(1152, 32, 1, (32, 32)), (1152, 64, 2, (64, 64)), (1152, 64, 2, (48, 80)),
                                       (64, 16, 1, (5, 9))]:
        got = SinCosPositions2d(dim, base, scale)(gh, gw)[0]
        worst = max(worst, assert_close(f"{gh}x{gw}", got, diffusers_pos_embed_numpy(dim, gh, gw, base, scale), 1e-6))
    return f"4 grids, max |diff| {worst:.2g}"


def check_pixart_patch_embed(work, ort, runner):
    import torch
    import torch.nn as nn

    from pixart_modules import TracedPatchEmbed

    class PatchEmbedLike(nn.Module):  # the attributes TracedPatchEmbed reads from diffusers' PatchEmbed
        def __init__(self):
            super().__init__()
            self.proj = nn.Conv2d(4, 64, kernel_size=2, stride=2)
            self.flatten, self.layer_norm, self.norm, self.patch_size = True, False, None, 2
            self.base_size, self.interpolation_scale, self.pos_embed_max_size = 16, 1, None
            self.register_buffer("pos_embed", torch.zeros(1, 256, 64))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = TracedPatchEmbed(PatchEmbedLike())
            self.head = nn.Linear(64, 3)

        def forward(self, latent):
            return self.head(self.embed(latent))

    net = Net().eval()
    path = exported(work, "patch_embed", net, (torch.randn(2, 4, 32, 32),), ["hidden_states"], ["out"],
                    {"hidden_states": {0: "batch_size", 2: "height", 3: "width"}, "out": {0: "batch_size", 1: "tokens"}})

    def run_sizes():
        if not ort.available:
            raise Skip("no ONNX Runtime")
        worst = 0.0
        for shape in ((2, 4, 32, 32), (1, 4, 24, 40), (3, 4, 64, 16)):
            x = torch.randn(*shape)
            with torch.no_grad():
                want = net(x)
            worst = max(worst, assert_close(str(shape), ort.run(path, {"hidden_states": x})["out"], want, 1e-4))
        return f"3 latent sizes from one graph, max |onnx - torch| {worst:.2g}"

    runner.check("pixart TracedPatchEmbed: ONNX Runtime vs torch", run_sizes)
    def gradient():
        vjp = ort.grad(path, "out", "hidden_states")
        x = torch.randn(1, 4, 24, 40, requires_grad=True)
        cotangent = torch.randn(1, 240, 3)
        (net(x) * cotangent).sum().backward()
        got = ort.run(vjp, {"hidden_states": x.detach(), "out_grad": cotangent})["hidden_states_grad"]
        worst = assert_close("hidden_states_grad", got, x.grad, 1e-5, 1e-4)
        return f"VJP at a size other than the traced one, max |diff| {worst:.2g}"

    runner.check("pixart TracedPatchEmbed: differentiable", lambda: ort.differentiable(path) and "ortdiff info")
    runner.check("pixart TracedPatchEmbed: ortdiff VJP vs torch autograd", gradient)


def check_external_data_writer(work):
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    import export_common as common

    rng = np.random.default_rng(0)
    weights = {"big_a": rng.standard_normal((300, 7)).astype(np.float32),
               "big_b": rng.standard_normal((1000,)).astype(np.float32),
               "small": np.array([1.5, -2.0], dtype=np.float32)}
    nodes = [helper.make_node("MatMul", ["x", "big_a"], ["h"]), helper.make_node("ReduceSum", ["h"], ["s"], keepdims=0),
             helper.make_node("Mul", ["s", "small"], ["y"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [2, 300])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [2])],
                              [numpy_helper.from_array(v, k) for k, v in weights.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    src = Path(work) / "per-tensor" / "model.onnx"
    src.parent.mkdir(parents=True)
    # one file per tensor, as torch.onnx.export writes models over 2 GB
    onnx.save_model(model, str(src), save_as_external_data=True, all_tensors_to_one_file=False, size_threshold=0)
    dst = Path(work) / "consolidated" / "model.onnx"
    dst.parent.mkdir()
    common.save_single_data_file(src, dst, external_data=True)
    common.check_model_file(dst)
    assert common.external_data_files(dst) == ["model.onnx_data"], common.external_data_files(dst)
    assert sorted(p.name for p in dst.parent.iterdir()) == ["model.onnx", "model.onnx_data"], list(dst.parent.iterdir())
    stored = onnx.load(str(dst), load_external_data=False)
    for t in stored.graph.initializer:
        entries = {e.key: e.value for e in t.external_data}
        if t.name == "small":
            assert not entries, "tensors under the threshold stay inline"
        else:
            assert int(entries["offset"]) % common.EXTERNAL_DATA_ALIGNMENT == 0, entries
    loaded = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(dst)).graph.initializer}
    for k, v in weights.items():
        assert np.array_equal(loaded[k], v), k
    inline = Path(work) / "inline" / "model.onnx"
    inline.parent.mkdir()
    (inline.parent / "model.onnx_data").write_bytes(b"stale")
    common.save_single_data_file(src, inline, external_data=False)
    assert not (inline.parent / "model.onnx_data").exists(), "an inline save removes a stale data file"
    assert all(np.array_equal(numpy_helper.to_array(t), weights[t.name]) for t in onnx.load(str(inline)).graph.initializer)
    return "per-tensor files -> one aligned model.onnx_data; inline save"


def check_compare_rule():
    import numpy as np

    import export_common as common

    common.compare("within tolerance", np.array([1.0005, 2.0]), np.array([1.0, 2.0]), atol=1e-3, rtol=0)
    for got, why in ((np.array([1.01, 2.0]), "too far"), (np.array([np.nan, 2.0]), "NaN"), (np.array([1.0]), "shape")):
        try:
            common.compare(why, got, np.array([1.0, 2.0]), atol=1e-3, rtol=0)
        except common.CheckFailed:
            continue
        raise AssertionError(f"compare accepted {why}")
    return "passes within tolerance; fails on distance, NaN and shape"


def dry_runs(work, ort, runner):
    """The scripts' own run() with the upstream packages replaced by selfcheck_fakes (see there)."""
    import json

    import selfcheck_fakes as fakes

    saved = {name: sys.modules.get(name) for name in ("onnxruntime", "transformers", "diffusers", "pytorch_fid",
                                                      "pytorch_fid.inception")}
    if not ort.python:
        if ort.ortdiff is None:
            for name in ("export_sd15 --check-only", "export_rewards", "export_pixart (1024-style)",
                         "export_pixart (512-style)", "export_fid_inception"):
                runner.check(f"dry run {name}", lambda: (_ for _ in ()).throw(Skip("no ONNX Runtime")))
            return
        sys.modules["onnxruntime"] = fakes.onnxruntime_shim(ort.ortdiff)
    ortdiff = ["--ortdiff", ort.ortdiff] if ort.ortdiff else []
    try:
        def rewards():
            import export_rewards

            export_rewards.BUILDERS["clip"] = fakes.stand_in_reward
            out = Path(work) / "dry" / "reward-clip"
            export_rewards.run(export_rewards.build_parser().parse_args(
                ["--kind", "clip", "--out", str(out)] + ortdiff))
            manifest = json.loads((out / "reward.json").read_text())
            assert manifest["format_version"] == 1 and manifest["kind"] == "clip", manifest
            assert manifest["text_model"]["model"] == "text_model.onnx" and manifest["tokenizer"]["max_length"] == 77
            assert manifest["preprocessing"]["image_size"] == 224 and manifest["preprocessing"]["in_graph"] is True
            assert graph_dims(out / "text_model.onnx") == {"input_ids": ["batch_size", 77],
                                                           "text_embeds": ["batch_size", 12]}
            return "reward.json, model.onnx, text_model.onnx, tokenizer/ written and checked"

        def pixart(with_size):
            import export_pixart

            fakes.install_pixart_fakes(sample_size=16, with_size=with_size)
            model = fakes.fake_model_folder(Path(work) / "dry" / f"pixart-model-{with_size}")
            out = Path(work) / "dry" / f"pixart-{with_size}"
            export_pixart.run(export_pixart.build_parser().parse_args(
                ["--model", str(model), "--out", str(out), "--max-sequence-length", "24"] + ortdiff))
            dims = graph_dims(out / "transformer" / "model.onnx")
            want = {"hidden_states": ["batch_size", 4, "height", "width"], "timestep": ["batch_size"],
                    "encoder_hidden_states": ["batch_size", "sequence_length", 32],
                    "encoder_attention_mask": ["batch_size", "sequence_length"],
                    "out_sample": ["batch_size", 8, "height", "width"]}
            if with_size:
                want.update({"resolution": ["batch_size", 2], "aspect_ratio": ["batch_size", 1]})
            assert dims == want, f"{dims} != {want}"
            for name in ("text_encoder", "transformer", "vae_decoder", "vae_encoder"):
                assert (out / name / "config.json").is_file(), name
            return f"4 networks exported and checked, transformer inputs {sorted(dims)}"

        def fid():
            import export_fid_inception

            fakes.install_fid_fake()
            out = Path(work) / "dry" / "fid"
            export_fid_inception.run(export_fid_inception.build_parser().parse_args(["--out", str(out)]))
            assert graph_dims(out / "model.onnx") == {"images": ["batch_size", 3, "height", "width"],
                                                      "features": ["batch_size", 2048]}
            return "model.onnx + fid.json written and checked"

        def sd15():
            import export_sd15

            pipe = fakes.install_sd_fakes()
            out = Path(work) / "dry" / "sd15"
            fakes.write_optimum_like_folder(out, pipe)
            export_sd15.run(export_sd15.build_parser().parse_args(
                ["--model", "fake", "--out", str(out), "--check-only"] + ortdiff))
            return "--check-only on an Optimum-like folder: every component compared at two shapes"

        runner.check("dry run export_sd15 --check-only (fake pipeline, Optimum's names and types)", sd15)
        runner.check("dry run export_rewards (stand-in CLIP-like reward)", rewards)
        runner.check("dry run export_pixart (1024-style, size conditions)", lambda: pixart(True))
        runner.check("dry run export_pixart (512-style)", lambda: pixart(False))
        runner.check("dry run export_fid_inception", fid)
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ortdiff", help="path of the ortdiff executable (default: the repository's bin/ folder, or PATH)")
    p.add_argument("--no-ortdiff", action="store_true", help="do not use ortdiff even if one is built")
    p.add_argument("--keep", type=Path, help="keep the exported models in this folder")
    args = p.parse_args()
    ort = OnnxRunner(find_ortdiff(args.ortdiff, args.no_ortdiff))
    print(f"ONNX Runtime: {'onnxruntime package' if ort.python else ort.ortdiff or 'none'}; "
          f"ortdiff: {ort.ortdiff or 'none'}", flush=True)
    runner = Runner()
    runner.check("scripts compile", check_scripts_compile)
    runner.check("--help works without torch", check_help_without_torch)
    runner.check("compare() tolerance rule", check_compare_rule)
    runner.check("preprocessing = torchvision resize + centre crop (eager)", check_preprocess_eager)
    runner.check("pixart position table = diffusers' formula", check_pixart_positions)
    work = Path(tempfile.mkdtemp(prefix="onnx-export-selfcheck-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    try:
        runner.check("external data writer", lambda: check_external_data_writer(work))
        runner.check("preprocessing exported: ONNX Runtime vs torch", lambda: check_preprocess_onnx(work, ort))
        check_rewards(work, ort, runner)
        check_pixart_patch_embed(work, ort, runner)
        dry_runs(work, ort, runner)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{runner.passed} passed, {runner.failed} failed, {runner.skipped} skipped")
    sys.exit(1 if runner.failed else 0)


if __name__ == "__main__":
    main()

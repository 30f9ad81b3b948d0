"""Stand-ins for the upstream packages, so selfcheck.py can dry-run the export scripts' own code end to end.

Nothing here imitates the real architectures; each fake keeps only the interface the scripts call (names,
arguments, return types) and is small and random. What the dry runs prove is that the scripts' plumbing -- export,
saving, the ONNX Runtime comparisons, the folder checks, reward.json -- works; not that the real models export.

- ``onnxruntime_shim``: an ``onnxruntime`` module whose InferenceSession runs models with ``ortdiff run``
  (this repository's own ORT binding), for machines without the onnxruntime package.
- ``install_pixart_fakes``: ``transformers.T5EncoderModel`` / ``T5Tokenizer`` and ``diffusers.PixArtTransformer2DModel``
  / ``AutoencoderKL`` with the methods export_pixart.py uses. The fake PatchEmbed computes its position table with
  numpy for non-default sizes, as diffusers 0.31 does, so the script's swap to TracedPatchEmbed is exercised.
- ``install_fid_fake``: ``pytorch_fid.inception`` with an InceptionV3 of the same constructor and output format.
- ``stand_in_reward``: a builder for export_rewards.py's BUILDERS table.
- ``install_sd_fakes`` / ``write_optimum_like_folder``: a diffusers StableDiffusionPipeline stand-in and the folder
  Optimum would write for it (its input/output names, int32 ids), for ``export_sd15.py --check-only``.
"""
import json
import os
import subprocess
import sys
import tempfile
import types
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

_ONNX_TYPES = {onnx.TensorProto.FLOAT: "tensor(float)", onnx.TensorProto.FLOAT16: "tensor(float16)",
               onnx.TensorProto.DOUBLE: "tensor(double)", onnx.TensorProto.INT64: "tensor(int64)",
               onnx.TensorProto.INT32: "tensor(int32)", onnx.TensorProto.BOOL: "tensor(bool)"}


def onnxruntime_shim(ortdiff):
    """A module with the parts of the onnxruntime API export_common uses, backed by ``ortdiff run``."""
    module = types.ModuleType("onnxruntime")

    class Arg:
        def __init__(self, value_info):
            self.name = value_info.name
            self.type = _ONNX_TYPES[value_info.type.tensor_type.elem_type]

    class InferenceSession:
        def __init__(self, path, sess_options=None, providers=None):
            self.path = str(path)
            graph = onnx.load(self.path, load_external_data=False).graph
            initializers = {t.name for t in graph.initializer}
            self.inputs = [Arg(v) for v in graph.input if v.name not in initializers]
            self.outputs = [Arg(v) for v in graph.output]

        def get_inputs(self):
            return self.inputs

        def get_outputs(self):
            return self.outputs

        def run(self, names, feeds):
            with tempfile.TemporaryDirectory() as work:
                command = [ortdiff, "run", "--model", self.path, "--out", os.path.join(work, "out")]
                for name, array in feeds.items():
                    np.save(os.path.join(work, name + ".npy"), array)
                    command += ["--input", f"{name}={os.path.join(work, name + '.npy')}"]
                done = subprocess.run(command, capture_output=True, text=True)
                if done.returncode != 0:
                    raise RuntimeError(f"ortdiff run: {(done.stdout + done.stderr)[-600:]}")
                return [np.load(os.path.join(work, "out", name + ".npy")) for name in names]

    class SessionOptions:
        graph_optimization_level = None

    module.InferenceSession = InferenceSession
    module.SessionOptions = SessionOptions
    module.GraphOptimizationLevel = types.SimpleNamespace(ORT_ENABLE_BASIC=1)
    module.get_available_providers = lambda: ["CPUExecutionProvider"]
    return module


class _Config(types.SimpleNamespace):
    def save_pretrained(self, folder):
        Path(folder).mkdir(parents=True, exist_ok=True)
        Path(folder, "config.json").write_text(json.dumps(vars(self)))


class _Saves:
    def save_config(self, folder):
        self.config.save_pretrained(folder)


# --- PixArt --------------------------------------------------------------------------------------------------------

def _numpy_positions(dim, gh, gw, base, scale):
    ys = np.arange(gh, dtype=np.float32) / (gh / base) / scale
    xs = np.arange(gw, dtype=np.float32) / (gw / base) / scale
    freqs = 1.0 / 10000 ** (np.arange(dim // 4, dtype=np.float64) / (dim / 4.0))
    col, row = np.tile(xs, gh)[:, None] * freqs, np.repeat(ys, gw)[:, None] * freqs
    return np.concatenate([np.sin(col), np.cos(col), np.sin(row), np.cos(row)], axis=1)


class FakePatchEmbed(nn.Module):
    """The attributes and behaviour of diffusers 0.31's PatchEmbed that matter: a buffer table for the default grid,
    numpy for any other (which a trace would freeze)."""

    def __init__(self, sample_size, patch_size, channels, dim, scale):
        super().__init__()
        self.proj = nn.Conv2d(channels, dim, kernel_size=patch_size, stride=patch_size)
        self.flatten, self.layer_norm, self.patch_size, self.pos_embed_max_size = True, False, patch_size, None
        self.height = self.width = self.base_size = sample_size // patch_size
        self.interpolation_scale = scale
        table = _numpy_positions(dim, self.height, self.width, self.base_size, scale)
        self.register_buffer("pos_embed", torch.from_numpy(table).float().unsqueeze(0), persistent=False)

    def forward(self, latent):
        gh, gw = latent.shape[-2] // self.patch_size, latent.shape[-1] // self.patch_size
        x = self.proj(latent).flatten(2).transpose(1, 2)
        if (gh, gw) != (self.height, self.width):
            table = torch.from_numpy(_numpy_positions(x.shape[-1], gh, gw, self.base_size, self.interpolation_scale))
            return x + table.float().unsqueeze(0)
        return x + self.pos_embed


class FakePixArtTransformer(nn.Module, _Saves):
    def __init__(self, sample_size, with_size, dtype):
        super().__init__()
        self.config = _Config(sample_size=sample_size, in_channels=4, out_channels=8, caption_channels=32, patch_size=2)
        self.use_additional_conditions = with_size
        width = 24
        self.pos_embed = FakePatchEmbed(sample_size, 2, 4, width, max(sample_size // 16, 1))
        self.caption = nn.Linear(32, width)
        self.time = nn.Linear(width, width)
        self.size = nn.Linear(3, width)
        self.out = nn.Linear(width, 2 * 2 * 8)
        self.to(dtype)

    def forward(self, hidden_states, encoder_hidden_states=None, timestep=None, added_cond_kwargs=None,
                encoder_attention_mask=None, return_dict=True):
        b, _, h, w = hidden_states.shape
        x = self.pos_embed(hidden_states)
        freqs = torch.exp(-torch.arange(x.shape[-1] // 2, dtype=torch.float32) / 4.0)
        angles = timestep[:, None].float() * freqs[None]
        x = x + self.time(torch.cat([angles.sin(), angles.cos()], dim=-1).to(x.dtype))[:, None]
        if self.use_additional_conditions:
            size = torch.cat([added_cond_kwargs["resolution"] / 1024, added_cond_kwargs["aspect_ratio"]], dim=-1)
            x = x + self.size(size.to(x.dtype))[:, None]
        context = self.caption(encoder_hidden_states)
        bias = (1 - encoder_attention_mask.to(x.dtype)) * -10000.0
        x = x + (x @ context.transpose(1, 2) / 5.0 + bias[:, None, :]).softmax(dim=-1) @ context
        x = self.out(x).reshape(b, h // 2, w // 2, 2, 2, 8)
        x = torch.einsum("nhwpqc->nchpwq", x).reshape(b, 8, h, w)
        return (x,) if not return_dict else types.SimpleNamespace(sample=x)


class FakeVae(nn.Module, _Saves):
    def __init__(self, dtype):
        super().__init__()
        self.config = _Config(scaling_factor=0.18215)
        self.up = nn.Conv2d(4, 3, kernel_size=3, padding=1)
        self.down = nn.Conv2d(3, 8, kernel_size=8, stride=8)
        self.to(dtype)

    def decode(self, z, return_dict=True):  # nearest 2x upsampling three times, as the real decoder does
        for _ in range(3):
            z = F.interpolate(z, scale_factor=2.0, mode="nearest")
        return (torch.tanh(self.up(z)),)

    def encode(self, x, return_dict=True):
        return (types.SimpleNamespace(parameters=self.down(x)),)


class FakeT5(nn.Module):
    def __init__(self, dtype):
        super().__init__()
        self.config = _Config(d_model=32)
        self.embed = nn.Embedding(100, 32)
        self.mix = nn.Linear(32, 32)
        self.to(dtype)

    def forward(self, input_ids=None, attention_mask=None):
        h = self.embed(input_ids)
        bias = (1 - attention_mask.to(h.dtype)) * -10000.0
        h = h + (h @ h.transpose(1, 2) / 6.0 + bias[:, None, :]).softmax(dim=-1) @ self.mix(h)
        return (h,)


class FakeT5Tokenizer:
    def __call__(self, prompts, padding=None, max_length=None, truncation=None, add_special_tokens=True,
                 return_tensors=None):
        ids = torch.zeros(len(prompts), max_length, dtype=torch.int64)
        mask = torch.zeros_like(ids)
        for row, prompt in enumerate(prompts):
            tokens = [3 + (sum(map(ord, word)) % 90) for word in prompt.split()][:max_length - 1] + [1]  # + </s>
            ids[row, :len(tokens)] = torch.tensor(tokens)
            mask[row, :len(tokens)] = 1
        return types.SimpleNamespace(input_ids=ids, attention_mask=mask)

    def save_pretrained(self, folder):
        Path(folder).mkdir(parents=True, exist_ok=True)
        Path(folder, "spiece.model").write_bytes(b"fake")


def install_pixart_fakes(sample_size, with_size):
    def loader(factory):
        return staticmethod(lambda model, subfolder=None, torch_dtype=torch.float32: factory(torch_dtype).eval())

    transformers = types.ModuleType("transformers")
    transformers.T5EncoderModel = type("T5EncoderModel", (), {"from_pretrained": loader(FakeT5)})
    transformers.T5Tokenizer = type("T5Tokenizer", (), {"from_pretrained": staticmethod(lambda *a, **k: FakeT5Tokenizer())})
    diffusers = types.ModuleType("diffusers")
    diffusers.PixArtTransformer2DModel = type("PixArtTransformer2DModel", (), {
        "from_pretrained": loader(lambda dtype: FakePixArtTransformer(sample_size, with_size, dtype))})
    diffusers.AutoencoderKL = type("AutoencoderKL", (), {"from_pretrained": loader(FakeVae)})
    sys.modules["transformers"] = transformers
    sys.modules["diffusers"] = diffusers


def fake_model_folder(folder):
    """The files export_pixart.py copies from the model repository."""
    folder = Path(folder)
    (folder / "scheduler").mkdir(parents=True, exist_ok=True)
    (folder / "model_index.json").write_text(json.dumps({"_class_name": "PixArtAlphaPipeline"}))
    (folder / "scheduler" / "scheduler_config.json").write_text(json.dumps({"_class_name": "DPMSolverMultistepScheduler"}))
    return folder


# --- FID -----------------------------------------------------------------------------------------------------------

def install_fid_fake():
    class InceptionV3(nn.Module):
        BLOCK_INDEX_BY_DIM = {64: 0, 192: 1, 768: 2, 2048: 3}

        def __init__(self, output_blocks, resize_input=True, normalize_input=True):
            super().__init__()
            self.conv = nn.Conv2d(3, 2048, kernel_size=13, stride=13)

        def forward(self, x):  # pytorch-fid: resize to 299, scale to [-1, 1], blocks, list of outputs
            x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False) * 2 - 1
            return [F.adaptive_avg_pool2d(F.relu(self.conv(x)), (1, 1))]

    inception = types.ModuleType("pytorch_fid.inception")
    inception.InceptionV3 = InceptionV3
    inception.FID_WEIGHTS_URL = "https://example.invalid/pt_inception-2015-12-05-6726825d.pth"
    package = types.ModuleType("pytorch_fid")
    package.inception = inception
    sys.modules["pytorch_fid"] = package
    sys.modules["pytorch_fid.inception"] = inception


# --- rewards -------------------------------------------------------------------------------------------------------

class TinyImageFeatures(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.patch = nn.Conv2d(3, 16, kernel_size=32, stride=32)
        self.norm = nn.LayerNorm(16)
        self.proj = nn.Linear(16, dim)

    def forward(self, pixels):
        return self.proj(self.norm(self.patch(pixels).flatten(2).transpose(1, 2)).mean(dim=1))


class TinyTextFeatures(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.embed = nn.Embedding(1000, dim)

    def forward(self, ids):
        return self.embed(ids).mean(dim=1)


def pil_clip_preprocess(images, size=224):
    """What the upstream processors do with a PIL image: bicubic shortest-side resize (PIL, antialiased), centre crop,
    CLIP mean/std."""
    import export_common as common
    from reward_modules import CLIP_MEAN, CLIP_STD

    out = []
    for pil in common.to_pil(images):
        w, h = pil.size
        scale = size / min(w, h)
        pil = pil.resize((max(size, round(w * scale)), max(size, round(h * scale))), resample=3)  # 3 = BICUBIC
        left, top = (pil.size[0] - size) // 2, (pil.size[1] - size) // 2
        out.append(torch.from_numpy(np.asarray(pil.crop((left, top, left + size, top + size)), dtype=np.float32) / 255))
    x = torch.stack(out).permute(0, 3, 1, 2)
    return (x - torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)) / torch.tensor(CLIP_STD).view(1, 3, 1, 1)


def stand_in_reward(args, device):
    """export_rewards.Reward for a CLIP-like two-tower reward on tiny random networks."""
    import export_rewards
    from reward_modules import CosineScore, NormalisedText, ResizeCropNormalize, l2_normalise

    torch.manual_seed(0)
    image_features, text_features = TinyImageFeatures(12), TinyTextFeatures(12)

    def save_tokenizer(folder):
        Path(folder).mkdir(parents=True, exist_ok=True)
        Path(folder, "vocab.json").write_text(json.dumps({"a</w>": 320}))
        Path(folder, "merges.txt").write_text("#version: 0.2\n")

    def tokenize_saved(folder, prompts):
        json.loads(Path(folder, "vocab.json").read_text())
        ids = torch.zeros(len(prompts), 77, dtype=torch.int64)
        for row, prompt in enumerate(prompts):
            tokens = [49406 % 1000] + [sum(map(ord, w)) % 990 for w in prompt.split()] + [999]
            ids[row, :len(tokens)] = torch.tensor(tokens)
        return ids

    def upstream(images):
        with torch.no_grad():
            i = l2_normalise(image_features(pil_clip_preprocess(images)))
            t = l2_normalise(text_features(tokenize_saved(args.out / "tokenizer", [args.prompt])))
        return (i * t).sum(-1)

    return export_rewards.Reward(
        image_model=CosineScore(image_features, ResizeCropNormalize(224, args.resize)).eval(),
        text_inputs=[("text_embeds", None, {0: "text_batch"})],
        text_model=NormalisedText(text_features).eval(),
        manifest=export_rewards.two_tower_manifest("clip", 224, args, {"model": "stand-in"}),
        save_tokenizer=save_tokenizer,
        tokenize_saved=tokenize_saved,
        tokenizer_files=export_rewards.CLIP_TOKENIZER_FILES,
        upstream_scores=upstream,
        upstream_tolerance=0.02,
    )


# --- Stable Diffusion ----------------------------------------------------------------------------------------------

class _Output(tuple):
    """A tuple with named fields, like transformers' ModelOutput (``out[0]`` and ``out.last_hidden_state``)."""

    def __new__(cls, **fields):
        out = super().__new__(cls, fields.values())
        out.__dict__.update(fields)
        return out


class FakeClipTextModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(1000, 16)
        self.norm = nn.LayerNorm(16)

    def forward(self, input_ids, return_dict=True):
        h = self.norm(self.embed(input_ids.long()))
        return _Output(last_hidden_state=h, pooler_output=h[torch.arange(h.shape[0]), input_ids.long().argmax(-1)])


class FakeUNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, kernel_size=3, padding=1)
        self.context = nn.Linear(16, 4)

    def forward(self, sample, timestep, encoder_hidden_states=None):
        t = (timestep.float() / 1000.0).view(-1, 1, 1, 1)
        c = self.context(encoder_hidden_states).mean(dim=1)[:, :, None, None]
        return types.SimpleNamespace(sample=self.conv(sample) * (1 + t) + c)


class FakeSdVae(nn.Module):
    def __init__(self):
        super().__init__()
        self.config = _Config(scaling_factor=0.18215)
        self.inner = FakeVae(torch.float32)

    def decode(self, z):
        return types.SimpleNamespace(sample=self.inner.decode(z)[0])

    def encode(self, x):
        return types.SimpleNamespace(latent_dist=self.inner.encode(x)[0])


class FakeClipTokenizer:
    model_max_length = 77

    def __call__(self, prompts, padding=None, max_length=77, truncation=None, return_tensors=None):
        ids = torch.full((len(prompts), max_length), 999, dtype=torch.int64)
        for row, prompt in enumerate(prompts):
            tokens = [406] + [sum(map(ord, w)) % 990 for w in prompt.split()] + [999]
            ids[row, :len(tokens)] = torch.tensor(tokens)
        return types.SimpleNamespace(input_ids=ids)


class FakeSdPipeline:
    def __init__(self):
        torch.manual_seed(0)
        self.tokenizer = FakeClipTokenizer()
        self.text_encoder = FakeClipTextModel().eval()
        self.unet = FakeUNet().eval()
        self.vae = FakeSdVae().eval()

    def to(self, device):
        return self


def install_sd_fakes():
    """``diffusers.StableDiffusionPipeline.from_pretrained`` returning one fixed FakeSdPipeline."""
    pipe = FakeSdPipeline()
    diffusers = types.ModuleType("diffusers")
    diffusers.StableDiffusionPipeline = type("StableDiffusionPipeline", (), {
        "from_pretrained": staticmethod(lambda model, torch_dtype=None, **kwargs: pipe)})
    sys.modules["diffusers"] = diffusers
    return pipe


def write_optimum_like_folder(out, pipe):
    """The folder Optimum's SD export writes, with the fake networks under Optimum's input/output names and types."""
    import export_common as common

    out = Path(out)
    for relative, text in (("model_index.json", "{}"), ("scheduler/scheduler_config.json", "{}"),
                           ("tokenizer/vocab.json", "{}"), ("tokenizer/merges.txt", "#version: 0.2\n")):
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        (out / relative).write_text(text)

    from reward_modules import Adapter

    def text_outputs(m, ids):
        o = m(ids)
        return o.last_hidden_state, o.pooler_output

    Text = lambda: Adapter(pipe.text_encoder, text_outputs)  # noqa: E731
    UNet = lambda: Adapter(pipe.unet, lambda m, x, t, c: m(x, t, encoder_hidden_states=c).sample)  # noqa: E731
    Decoder = lambda: Adapter(pipe.vae, lambda m, z: m.decode(z).sample)  # noqa: E731
    Encoder = lambda: Adapter(pipe.vae, lambda m, x: m.encode(x).latent_dist.parameters)  # noqa: E731

    batch = {0: "batch_size"}
    common.export_onnx(Text(), (torch.zeros(1, 77, dtype=torch.int32),), out / "text_encoder" / "model.onnx",
                       ["input_ids"], ["last_hidden_state", "pooler_output"],
                       {"input_ids": {0: "batch_size", 1: "sequence_length"},
                        "last_hidden_state": {0: "batch_size", 1: "sequence_length"}, "pooler_output": batch}, 17)
    common.export_onnx(UNet(), (torch.randn(2, 4, 8, 8), torch.tensor([1, 2]), torch.randn(2, 77, 16)),
                       out / "unet" / "model.onnx", ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
                       {"sample": {0: "batch_size", 2: "height", 3: "width"}, "timestep": {0: "steps"},
                        "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
                        "out_sample": {0: "batch_size", 2: "height", 3: "width"}}, 17)
    common.export_onnx(Decoder(), (torch.randn(1, 4, 8, 8),), out / "vae_decoder" / "model.onnx", ["latent_sample"],
                       ["sample"], {"latent_sample": {0: "batch_size", 2: "height_latent", 3: "width_latent"},
                                    "sample": {0: "batch_size", 2: "height", 3: "width"}}, 17)
    common.export_onnx(Encoder(), (torch.randn(1, 3, 64, 64),), out / "vae_encoder" / "model.onnx", ["sample"],
                       ["latent_parameters"], {"sample": {0: "batch_size", 2: "height", 3: "width"},
                                               "latent_parameters": {0: "batch_size", 2: "height_latent",
                                                                     3: "width_latent"}}, 17)

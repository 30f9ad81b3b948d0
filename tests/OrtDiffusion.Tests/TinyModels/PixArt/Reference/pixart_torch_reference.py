"""Independent torch reference for the tiny PixArt-alpha zoo.

Reads the weights of the folders written by OrtDiffusion.TinyModels (TinyZoo.WritePixArt: `pixart` with the default
options and `pixart-1024` with opset 14, float timestep and mask and the resolution/aspect-ratio conditioning) from
their ONNX initializers and evaluates the networks as torch code written here from the transformers / diffusers
semantics (T5EncoderModel with T5-v1.1's gated GELU and relative position buckets, PixArtTransformer2DModel with
adaLN-single), not from the ONNX graphs. Token ids come from Debian's SentencePiece (`spm_encode`) run on the zoo's
spiece.model, which also checks that the real SentencePiece library reads the file. The C# tests run the zoo's graphs
in ONNX Runtime and the library's T5Tokenizer on the same inputs and compare.

Inputs are made by wave(shape, a, b, scale, offset)[i] = offset + scale * sin(a * i + b) in float64, cast to float32;
the C# side computes the same. Writes Fixtures/tinymodels/pixart/pixart_torch_expected.json (outputs, and the transformer's gradient with respect to
encoder_hidden_states by autograd) and spm_encode_expected.json.

Regenerate (Debian's interpreter has torch 1.13 and onnx; `apt install sentencepiece` gives spm_encode):
  ORTDIFFUSION_KEEP_TINYZOO=/tmp/tinyzoo dotnet test tests/OrtDiffusion.Tests --filter FullyQualifiedName~PixArt
  /usr/bin/python3 tests/OrtDiffusion.Tests/TinyModels/PixArt/Reference/pixart_torch_reference.py /tmp/tinyzoo
"""
import json
import math
import os
import subprocess
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.abspath(os.path.join(HERE, "..", "..", "..", "Fixtures", "tinymodels", "pixart"))

# Tiny sizes (PixArtArchitecture.cs) that the weights' shapes do not reveal.
T5_HEADS = 4
T5_BUCKETS = 32
T5_MAX_DISTANCE = 128
DIT_HEADS = 3
PATCH = 2
OUT_CHANNELS = 8
FREQUENCY_CHANNELS = 32

PROMPTS = [
    "a photo of a cat",
    "an astronaut riding a horse on the moon, oil painting",
    "A Zebra in a café",
    "",
    "  a   snowy mountain landscape   ",
]


def wave(shape, a, b, scale, offset):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.float64)
    return torch.from_numpy((offset + scale * np.sin(a * i + b)).astype(np.float32).reshape(shape))


class Weights:
    def __init__(self, path):
        model = onnx.load(path)  # external data beside the model is loaded too
        self.t = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in model.graph.initializer}

    def __getitem__(self, name):
        return self.t[name]


def linear(w, x, name, bias=True):  # weights stored transposed, [in, out], for MatMul
    y = x @ w[name + ".weight.T"]
    return y + w[name + ".bias"] if bias else y


def gemm(w, x, name):  # stored as torch's [out, in]
    return F.linear(x, w[name + ".weight"], w[name + ".bias"])


def split_heads(x, heads):
    b, n, d = x.shape
    return x.view(b, n, heads, d // heads).transpose(1, 2)


def merge_heads(x):
    b, h, n, d = x.shape
    return x.transpose(1, 2).reshape(b, n, h * d)


# --- T5EncoderModel (T5-v1.1) ------------------------------------------------------------------------------------
def rms_norm(w, x, name, eps=1e-6):
    return w[name + ".weight"] * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def relative_bucket(relative):
    """Bidirectional T5 buckets: sign in the top half, |d| exact below 8, log-spaced up to 128, capped at 15."""
    half = T5_BUCKETS // 2
    exact = half // 2
    bucket = (relative > 0).long() * half
    distance = relative.abs()
    scaled = torch.log(distance.float().clamp(min=1) / exact) / math.log(T5_MAX_DISTANCE / exact) * (half - exact)
    large = torch.clamp(exact + scaled.long(), max=half - 1)
    return bucket + torch.where(distance < exact, distance, large)


def t5_encoder(w, ids, mask):
    length = ids.shape[1]
    h = w["shared.weight"][ids]
    positions = torch.arange(length)
    buckets = relative_bucket(positions[None, :] - positions[:, None])
    bias = w["encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"][buckets].permute(2, 0, 1)[None]
    bias = bias + (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    for layer in range(2):
        p = f"encoder.block.{layer}.layer."
        n = rms_norm(w, h, p + "0.layer_norm")
        a = p + "0.SelfAttention."
        q, k, v = (split_heads(linear(w, n, a + x, False), T5_HEADS) for x in "qkv")
        scores = q @ k.transpose(-1, -2) + bias  # T5 does not scale the scores
        h = h + linear(w, merge_heads(torch.softmax(scores, dim=-1) @ v), a + "o", False)
        n = rms_norm(w, h, p + "1.layer_norm")
        d = p + "1.DenseReluDense."
        h = h + linear(w, gelu_new(linear(w, n, d + "wi_0", False)) * linear(w, n, d + "wi_1", False), d + "wo", False)
    return rms_norm(w, h, "encoder.final_layer_norm")


# --- PixArtTransformer2DModel --------------------------------------------------------------------------------------
def sincos_1d(dim, positions):
    omega = 1.0 / 10000 ** (np.arange(dim // 2, dtype=np.float64) / (dim / 2.0))
    angles = np.outer(positions.reshape(-1), omega)
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=1)


def sincos_2d(dim, height, width, base_size, interpolation_scale):
    """diffusers' get_2d_sincos_pos_embed (numpy form): width coordinate first, tokens row by row."""
    grid_h = np.arange(height, dtype=np.float32) / (height / base_size) / interpolation_scale
    grid_w = np.arange(width, dtype=np.float32) / (width / base_size) / interpolation_scale
    gw, gh = np.meshgrid(grid_w, grid_h)  # both [height, width]
    emb = np.concatenate([sincos_1d(dim // 2, gw), sincos_1d(dim // 2, gh)], axis=1)
    return torch.from_numpy(emb.astype(np.float32))[None]


def timestep_sinusoid(t):
    half = FREQUENCY_CHANNELS // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half)
    args = t.reshape(-1).float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)  # flip_sin_to_cos


def mlp(w, x, name):
    return gemm(w, F.silu(gemm(w, x, name + ".linear_1")), name + ".linear_2")


def gelu_tanh(x):
    return F.gelu(x, approximate="tanh")


def attention(w, x, context, name, bias=None):
    q, k, v = (split_heads(linear(w, s, f"{name}.to_{p}"), DIT_HEADS) for p, s in (("q", x), ("k", context), ("v", context)))
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    if bias is not None:
        scores = scores + bias
    return linear(w, merge_heads(torch.softmax(scores, dim=-1) @ v), f"{name}.to_out.0")


def pixart(w, latents, timestep, text, mask, sample_size, interpolation_scale, resolution=None, aspect_ratio=None):
    batch, _, height, width = latents.shape
    gh, gw = height // PATCH, width // PATCH
    dim = w["pos_embed.proj.bias"].shape[0]
    x = F.conv2d(latents, w["pos_embed.proj.weight"], w["pos_embed.proj.bias"], stride=PATCH).flatten(2).transpose(1, 2)
    x = x + sincos_2d(dim, gh, gw, sample_size // PATCH, interpolation_scale)

    emb = mlp(w, timestep_sinusoid(timestep), "adaln_single.emb.timestep_embedder")
    if resolution is not None:
        r = mlp(w, timestep_sinusoid(resolution), "adaln_single.emb.resolution_embedder").reshape(batch, -1)
        a = mlp(w, timestep_sinusoid(aspect_ratio), "adaln_single.emb.aspect_ratio_embedder").reshape(batch, -1)
        emb = emb + torch.cat([r, a], dim=1)
    modulation = gemm(w, F.silu(emb), "adaln_single.linear")

    context = linear(w, gelu_tanh(linear(w, text, "caption_projection.linear_1")), "caption_projection.linear_2")
    bias = ((1 - mask.float()) * -10000.0)[:, None, None, :]
    for i in range(2):
        name = f"transformer_blocks.{i}"
        mods = w[name + ".scale_shift_table"][None] + modulation.reshape(batch, 6, -1)
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = mods.chunk(6, dim=1)
        n = F.layer_norm(x, (dim,), eps=1e-6) * (1 + scale_msa) + shift_msa
        x = x + gate_msa * attention(w, n, n, name + ".attn1")
        x = x + attention(w, x, context, name + ".attn2", bias)
        n = F.layer_norm(x, (dim,), eps=1e-6) * (1 + scale_mlp) + shift_mlp
        x = x + gate_mlp * linear(w, gelu_tanh(linear(w, n, name + ".ff.net.0.proj")), name + ".ff.net.2")

    shift, scale = (w["scale_shift_table"][None] + emb[:, None]).chunk(2, dim=1)
    x = linear(w, F.layer_norm(x, (dim,), eps=1e-6) * (1 + scale) + shift, "proj_out")
    x = x.reshape(batch, gh, gw, PATCH, PATCH, OUT_CHANNELS)
    return torch.einsum("nhwpqc->nchpwq", x).reshape(batch, OUT_CHANNELS, gh * PATCH, gw * PATCH)


# --- cases ---------------------------------------------------------------------------------------------------------
def flat(t):
    return [round(float(v), 7) for v in t.detach().reshape(-1)]


def spm_encode(model, text):
    out = subprocess.run(["spm_encode", "--model", model, "--output_format=id"], input=text + "\n", capture_output=True, text=True, check=True)
    return [int(i) for i in out.stdout.split()]


def spm_pieces(model, text):
    out = subprocess.run(["spm_encode", "--model", model, "--output_format=piece"], input=text + "\n", capture_output=True, text=True, check=True)
    return out.stdout.split()


def padded(ids, length, eos=1, pad=0):
    ids = ids + [eos]
    return ids + [pad] * (length - len(ids)), [1] * len(ids) + [0] * (length - len(ids))


def main(root):
    torch.set_grad_enabled(False)
    os.makedirs(FIXTURES, exist_ok=True)
    default = os.path.join(root, "pixart")
    variant = os.path.join(root, "pixart-1024")
    spiece = os.path.join(default, "tokenizer", "spiece.model")

    cases = [{"text": p, "ids": spm_encode(spiece, p), "pieces": spm_pieces(spiece, p)} for p in PROMPTS]
    with open(os.path.join(FIXTURES, "spm_encode_expected.json"), "w") as f:
        json.dump({"tool": "Debian spm_encode (SentencePiece 0.1.97) on the zoo's tokenizer/spiece.model", "cases": cases}, f, indent=1, ensure_ascii=False)
        f.write("\n")

    out = {"zoo": "pixart: PixArtZooOptions.Default; pixart-1024: PixArtZooFixture.Variant"}
    text_weights = Weights(os.path.join(default, "text_encoder", "model.onnx"))
    rows = [padded(cases[0]["ids"], 16), padded(cases[1]["ids"], 16)]
    ids = torch.tensor([r[0] for r in rows])
    mask = torch.tensor([r[1] for r in rows])
    out["text_encoder"] = {"input_ids": flat(ids), "attention_mask": flat(mask), "shape": list(ids.shape), "last_hidden_state": flat(t5_encoder(text_weights, ids, mask))}

    rows = [padded(cases[1]["ids"], 120), padded(cases[2]["ids"], 120)]
    ids = torch.tensor([r[0] for r in rows])
    mask = torch.tensor([r[1] for r in rows])
    every = 29
    states = t5_encoder(text_weights, ids, mask)
    out["text_encoder_120"] = {"input_ids": flat(ids), "attention_mask": flat(mask), "every": every, "last_hidden_state_every": flat(states.reshape(-1)[::every])}

    dit = Weights(os.path.join(default, "transformer", "model.onnx"))
    latents = wave((2, 4, 8, 12), 0.7, 0.3, 1.2, 0.0)
    text = wave((2, 10, 32), 0.13, 0.5, 0.9, 0.0)
    timestep = torch.tensor([999, 20], dtype=torch.int64)
    mask = torch.tensor([[1] * 6 + [0] * 4, [1] * 10], dtype=torch.int64)
    out["transformer"] = {
        "hidden_states": "wave((2,4,8,12), 0.7, 0.3, 1.2, 0)", "encoder_hidden_states": "wave((2,10,32), 0.13, 0.5, 0.9, 0)",
        "timestep": timestep.tolist(), "encoder_attention_mask": flat(mask),
        "out_sample": flat(pixart(dit, latents, timestep, text, mask, sample_size=8, interpolation_scale=1)),
    }

    # The VJP DATE and IPGO need: d<cotangent, out_sample>/d encoder_hidden_states by torch autograd.
    text.requires_grad_(True)
    with torch.enable_grad():
        y = pixart(dit, latents, timestep, text, mask, sample_size=8, interpolation_scale=1)
        cotangent = wave(tuple(y.shape), 0.11, 0.7, 1.0, 0.0)
        (gradient,) = torch.autograd.grad((y * cotangent).sum(), text)
    out["transformer_vjp"] = {"inputs": "as transformer", "out_sample_grad": "wave((2,8,8,12), 0.11, 0.7, 1, 0)", "encoder_hidden_states_grad": flat(gradient)}

    dit = Weights(os.path.join(variant, "transformer", "model.onnx"))
    latents = wave((2, 4, 6, 10), 0.31, 0.1, 1.1, 0.0)
    text = wave((2, 7, 32), 0.17, 0.2, 0.8, 0.0)
    timestep = torch.tensor([500.0, 37.5])
    mask = torch.tensor([[1.0] * 7, [1.0] * 3 + [0.0] * 4])
    resolution = torch.tensor([[48.0, 80.0], [128.0, 128.0]])
    aspect = torch.tensor([[0.6], [1.0]])
    out["transformer_1024"] = {
        "hidden_states": "wave((2,4,6,10), 0.31, 0.1, 1.1, 0)", "encoder_hidden_states": "wave((2,7,32), 0.17, 0.2, 0.8, 0)",
        "timestep": timestep.tolist(), "encoder_attention_mask": flat(mask), "resolution": flat(resolution), "aspect_ratio": flat(aspect),
        "out_sample": flat(pixart(dit, latents, timestep, text, mask, sample_size=16, interpolation_scale=2, resolution=resolution, aspect_ratio=aspect)),
    }

    with open(os.path.join(FIXTURES, "pixart_torch_expected.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", FIXTURES)


if __name__ == "__main__":
    main(sys.argv[1])

"""Independent torch reference for the tiny zoo's networks.

Reads the weights of a zoo written by OrtDiffusion.TinyModels (default options: seed 0, opset 17) from its ONNX
initializers and evaluates the networks as torch modules written here from the diffusers / transformers
semantics (F.group_norm, F.layer_norm, F.interpolate, explicit attention), not from the ONNX graphs. The
C# tests run the zoo's ONNX graphs in ONNX Runtime on the same inputs and compare.

Inputs are made by wave(n, a, b, scale, offset)[i] = offset + scale * sin(a * i + b) in float64, then cast to
float32; the C# side computes the same. Writes Fixtures/tinymodels/zoo_torch_expected.json and
preprocess_torch_expected.json.

Regenerate (Debian's interpreter has torch 1.13 and onnx):
  ORTDIFFUSION_KEEP_TINYZOO=/tmp/tinyzoo dotnet test tests/OrtDiffusion.Tests --filter FullyQualifiedName~TinyModels
  /usr/bin/python3 tests/OrtDiffusion.Tests/TinyModels/Reference/zoo_torch_reference.py /tmp/tinyzoo
"""
import json
import math
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.abspath(os.path.join(HERE, "..", "..", "Fixtures", "tinymodels"))
MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
STD = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)
IMAGE_SIZE = 32


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

    def __contains__(self, name):
        return name in self.t


# --- layers, by module path -------------------------------------------------------------------------------
def linear(w, x, name, bias=True):  # stored transposed, [in, out], for MatMul
    y = x @ w[name + ".weight.T"]
    return y + w[name + ".bias"] if bias else y


def gemm(w, x, name):  # stored as torch's [out, in]
    return F.linear(x, w[name + ".weight"], w[name + ".bias"])


def conv(w, x, name, stride=1, pad=0):
    b = w[name + ".bias"] if name + ".bias" in w else None
    return F.conv2d(x, w[name + ".weight"], b, stride=stride, padding=pad)


def group_norm(w, x, name, groups, eps):
    return F.group_norm(x, groups, w[name + ".weight"].flatten(), w[name + ".bias"].flatten(), eps)


def layer_norm(w, x, name, eps=1e-5):
    return F.layer_norm(x, (x.shape[-1],), w[name + ".weight"], w[name + ".bias"], eps)


def heads_split(x, heads):
    b, n, d = x.shape
    return x.view(b, n, heads, d // heads).transpose(1, 2)


def heads_merge(x):
    b, h, n, d = x.shape
    return x.transpose(1, 2).reshape(b, n, h * d)


def attention(q, k, v, heads, mask=None):
    q, k, v = heads_split(q, heads), heads_split(k, heads), heads_split(v, heads)
    scores = (q @ k.transpose(-1, -2)) * (q.shape[-1] ** -0.5)
    if mask is not None:
        scores = scores + mask
    return heads_merge(torch.softmax(scores, dim=-1) @ v)


# --- CLIP (transformers CLIPTextModel / CLIPVisionModel semantics) ---------------------------------------------
def clip_layer(w, h, name, heads, mask):
    x = layer_norm(w, h, name + ".layer_norm1")
    a = attention(linear(w, x, name + ".self_attn.q_proj"), linear(w, x, name + ".self_attn.k_proj"), linear(w, x, name + ".self_attn.v_proj"), heads, mask)
    h = h + linear(w, a, name + ".self_attn.out_proj")
    x = linear(w, layer_norm(w, h, name + ".layer_norm2"), name + ".mlp.fc1")
    return h + linear(w, x * torch.sigmoid(1.702 * x), name + ".mlp.fc2")


def clip_text(w, ids):
    n = ids.shape[1]
    h = w["text_model.embeddings.token_embedding.weight"][ids] + w["text_model.embeddings.position_embedding.weight"][:n]
    mask = torch.full((n, n), torch.finfo(torch.float32).min).triu(1)
    for layer in range(2):
        h = clip_layer(w, h, f"text_model.encoder.layers.{layer}", 2, mask)
    last = layer_norm(w, h, "text_model.final_layer_norm")
    return last, last[torch.arange(ids.shape[0]), ids.argmax(dim=-1)]


def preprocess(images):
    h, w = images.shape[-2:]
    short = min(h, w)
    nh, nw = h * IMAGE_SIZE // short, w * IMAGE_SIZE // short
    x = F.interpolate(images, size=(nh, nw), mode="bilinear", align_corners=False)
    top, left = (nh - IMAGE_SIZE) // 2, (nw - IMAGE_SIZE) // 2
    x = x[:, :, top:top + IMAGE_SIZE, left:left + IMAGE_SIZE]
    return (x - MEAN) / STD


def normalise(x):
    return x / x.norm(dim=-1, keepdim=True)


def clip_image(w, images):
    x = conv(w, preprocess(images), "vision_model.embeddings.patch_embedding", stride=8)
    x = x.flatten(2).transpose(1, 2)
    cls = w["vision_model.embeddings.class_embedding"].expand(x.shape[0], 1, -1)
    h = torch.cat([cls, x], dim=1) + w["vision_model.embeddings.position_embedding.weight"]
    h = layer_norm(w, h, "vision_model.pre_layrnorm")
    for layer in range(2):
        h = clip_layer(w, h, f"vision_model.encoder.layers.{layer}", 2, None)
    pooled = layer_norm(w, h[:, 0, :], "vision_model.post_layernorm")
    return normalise(pooled @ w["visual_projection.weight.T"])


# --- diffusers UNet2DConditionModel / AutoencoderKL semantics --------------------------------------------------
def resnet(w, x, temb, name, eps, groups=8):
    h = conv(w, F.silu(group_norm(w, x, name + ".norm1", groups, eps)), name + ".conv1", pad=1)
    if temb is not None:
        h = h + gemm(w, F.silu(temb), name + ".time_emb_proj")[:, :, None, None]
    h = conv(w, F.silu(group_norm(w, h, name + ".norm2", groups, eps)), name + ".conv2", pad=1)
    shortcut = conv(w, x, name + ".conv_shortcut") if name + ".conv_shortcut.weight" in w else x
    return shortcut + h


def transformer(w, x, ctx, name):
    b, c, hh, ww = x.shape
    h = conv(w, group_norm(w, x, name + ".norm", 8, 1e-6), name + ".proj_in")
    h = h.permute(0, 2, 3, 1).reshape(b, hh * ww, c)
    blk = name + ".transformer_blocks.0"
    n = layer_norm(w, h, blk + ".norm1")
    h = h + linear(w, attention(linear(w, n, blk + ".attn1.to_q", False), linear(w, n, blk + ".attn1.to_k", False), linear(w, n, blk + ".attn1.to_v", False), 2), blk + ".attn1.to_out.0")
    n = layer_norm(w, h, blk + ".norm2")
    h = h + linear(w, attention(linear(w, n, blk + ".attn2.to_q", False), linear(w, ctx, blk + ".attn2.to_k", False), linear(w, ctx, blk + ".attn2.to_v", False), 2), blk + ".attn2.to_out.0")
    hidden, gate = linear(w, layer_norm(w, h, blk + ".norm3"), blk + ".ff.net.0.proj").chunk(2, dim=-1)
    h = h + linear(w, hidden * F.gelu(gate), blk + ".ff.net.2")
    h = h.reshape(b, hh, ww, c).permute(0, 3, 1, 2)
    return conv(w, h, name + ".proj_out") + x


def unet(w, sample, timestep, ctx):
    t = timestep.reshape(-1).expand(sample.shape[0])
    half = 16
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half)
    args = t[:, None].float() * freqs[None, :]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    temb = gemm(w, F.silu(gemm(w, emb, "time_embedding.linear_1")), "time_embedding.linear_2")
    x = conv(w, sample, "conv_in", pad=1)
    skips = [x]
    x = transformer(w, resnet(w, x, temb, "down_blocks.0.resnets.0", 1e-5), ctx, "down_blocks.0.attentions.0")
    skips.append(x)
    x = conv(w, x, "down_blocks.0.downsamplers.0.conv", stride=2, pad=1)
    skips.append(x)
    x = resnet(w, x, temb, "down_blocks.1.resnets.0", 1e-5)
    skips.append(x)
    x = resnet(w, x, temb, "mid_block.resnets.0", 1e-5)
    x = transformer(w, x, ctx, "mid_block.attentions.0")
    x = resnet(w, x, temb, "mid_block.resnets.1", 1e-5)
    for i in range(2):
        x = resnet(w, torch.cat([x, skips.pop()], dim=1), temb, f"up_blocks.0.resnets.{i}", 1e-5)
    x = conv(w, F.interpolate(x, scale_factor=2.0, mode="nearest"), "up_blocks.0.upsamplers.0.conv", pad=1)
    for i in range(2):
        x = resnet(w, torch.cat([x, skips.pop()], dim=1), temb, f"up_blocks.1.resnets.{i}", 1e-5)
        x = transformer(w, x, ctx, f"up_blocks.1.attentions.{i}")
    return conv(w, F.silu(group_norm(w, x, "conv_norm_out", 8, 1e-5)), "conv_out", pad=1)


def vae_attention(w, x, name):
    b, c, hh, ww = x.shape
    h = group_norm(w, x.view(b, c, hh * ww), name + ".group_norm", 8, 1e-6).transpose(1, 2)
    a = attention(linear(w, h, name + ".to_q"), linear(w, h, name + ".to_k"), linear(w, h, name + ".to_v"), 1)
    return linear(w, a, name + ".to_out.0").transpose(1, 2).reshape(b, c, hh, ww) + x


def vae_mid(w, x, name):
    x = resnet(w, x, None, name + ".resnets.0", 1e-6)
    x = vae_attention(w, x, name + ".attentions.0")
    return resnet(w, x, None, name + ".resnets.1", 1e-6)


def vae_decode(w, z):
    x = conv(w, conv(w, z, "post_quant_conv"), "decoder.conv_in", pad=1)
    x = vae_mid(w, x, "decoder.mid_block")
    for i in range(4):
        for j in range(2):
            x = resnet(w, x, None, f"decoder.up_blocks.{i}.resnets.{j}", 1e-6)
        if i < 3:
            x = conv(w, F.interpolate(x, scale_factor=2.0, mode="nearest"), f"decoder.up_blocks.{i}.upsamplers.0.conv", pad=1)
    return conv(w, F.silu(group_norm(w, x, "decoder.conv_norm_out", 8, 1e-6)), "decoder.conv_out", pad=1)


def vae_encode(w, image):
    x = conv(w, image, "encoder.conv_in", pad=1)
    for i in range(4):
        x = resnet(w, x, None, f"encoder.down_blocks.{i}.resnets.0", 1e-6)
        if i < 3:
            x = conv(w, F.pad(x, (0, 1, 0, 1)), f"encoder.down_blocks.{i}.downsamplers.0.conv", stride=2)
    x = vae_mid(w, x, "encoder.mid_block")
    x = conv(w, F.silu(group_norm(w, x, "encoder.conv_norm_out", 8, 1e-6)), "encoder.conv_out", pad=1)
    return conv(w, x, "quant_conv")


# --- cases ---------------------------------------------------------------------------------------------------
def flat(t):
    return [round(float(v), 7) for v in t.detach().reshape(-1)]


def padded(ids, length, pad):
    return ids + [pad] * (length - len(ids))


def main(zoo):
    torch.set_grad_enabled(False)
    bpe = json.load(open(os.path.join(FIXTURES, "tiny_bpe_expected.json")))
    prompts = [c["ids"] for c in bpe["cases"][:2]]
    eos = bpe["vocab_size"] - 1
    sd = os.path.join(zoo, "sd15")
    out = {"zoo": "seed 0, opset 17 (TinyZooOptions.Default)"}

    text = Weights(os.path.join(sd, "text_encoder", "model.onnx"))
    ids = torch.tensor([padded(p, 10, eos) for p in prompts])
    last, pooled = clip_text(text, ids)
    out["text_encoder"] = {"input_ids": ids.reshape(-1).tolist(), "shape": list(ids.shape), "last_hidden_state": flat(last), "pooler_output": flat(pooled)}

    u = Weights(os.path.join(sd, "unet", "model.onnx"))
    sample = wave((2, 4, 8, 12), 0.7, 0.3, 1.2, 0.0)
    ctx = wave((2, 10, 32), 0.13, 0.5, 0.9, 0.0)
    timestep = torch.tensor([500, 20], dtype=torch.int64)
    out["unet"] = {"sample": "wave((2,4,8,12), 0.7, 0.3, 1.2, 0)", "encoder_hidden_states": "wave((2,10,32), 0.13, 0.5, 0.9, 0)", "timestep": timestep.tolist(), "out_sample": flat(unet(u, sample, timestep, ctx))}

    decoder = Weights(os.path.join(sd, "vae_decoder", "model.onnx"))
    image = vae_decode(decoder, wave((1, 4, 6, 10), 0.05, 0.2, 1.5, 0.0))
    every = 37
    out["vae_decoder"] = {"latent_sample": "wave((1,4,6,10), 0.05, 0.2, 1.5, 0)", "every": every, "sample_every": flat(image.reshape(-1)[::every]), "mean": float(image.mean()), "shape": list(image.shape)}

    encoder = Weights(os.path.join(sd, "vae_encoder", "model.onnx"))
    out["vae_encoder"] = {"sample": "wave((1,3,32,48), 0.01, 0, 0.5, 0.5)", "latent_parameters": flat(vae_encode(encoder, wave((1, 3, 32, 48), 0.01, 0.0, 0.5, 0.5)))}

    rewards = os.path.join(zoo, "rewards")
    text_tower = Weights(os.path.join(rewards, "clip", "text_model.onnx"))
    ids77 = torch.tensor([padded(p, 77, eos) for p in prompts])
    _, pooled77 = clip_text(text_tower, ids77)
    text_embeds = normalise(pooled77 @ text_tower["text_projection.weight.T"])
    out["clip_text"] = {"text_embeds": flat(text_embeds)}

    images = wave((2, 3, 48, 80), 0.013, 1.0, 0.45, 0.5)
    clip = Weights(os.path.join(rewards, "clip", "model.onnx"))
    score = (clip_image(clip, images) * normalise(text_embeds[:1])).sum(-1)
    out["clip_score"] = {"images": "wave((2,3,48,80), 0.013, 1, 0.45, 0.5)", "text_embeds": "clip_text row 0, [1, 32]", "score": flat(score)}

    aesthetic = Weights(os.path.join(rewards, "aesthetic", "model.onnx"))
    x = clip_image(aesthetic, images)
    for layer in (0, 2, 4, 6, 7):
        x = gemm(aesthetic, x, f"layers.{layer}")
    out["aesthetic"] = {"images": "same as clip_score", "score": flat(x.squeeze(1))}

    with open(os.path.join(FIXTURES, "zoo_torch_expected.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")

    cases = []
    every_pixel = 3
    for h, w in [(48, 80), (80, 48), (64, 64), (20, 28)]:
        pixels = preprocess(wave((1, 3, h, w), 0.021, 0.4, 0.45, 0.5))
        cases.append({"height": h, "width": w, "images": f"wave((1,3,{h},{w}), 0.021, 0.4, 0.45, 0.5)", "pixel_values_every": flat(pixels.reshape(-1)[::every_pixel])})
    with open(os.path.join(FIXTURES, "preprocess_torch_expected.json"), "w") as f:
        json.dump({"image_size": IMAGE_SIZE, "every": every_pixel, "cases": cases}, f, indent=1)
        f.write("\n")
    print("wrote", FIXTURES)


if __name__ == "__main__":
    main(sys.argv[1])

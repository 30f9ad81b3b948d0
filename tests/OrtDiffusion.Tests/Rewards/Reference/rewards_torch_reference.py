"""Independent torch reference for the tiny zoo's four rewards: scores and image gradients by autograd.

Reads the weights of a zoo written by OrtDiffusion.TinyModels (default options: seed 0, opset 17) from the ONNX
initializers and evaluates each reward as torch code written from the original projects' semantics, not from the
ONNX graphs:
  - CLIP score and LAION aesthetic: the functions of TinyModels/Reference/zoo_torch_reference.py;
  - ImageReward v1.0: BLIP's timm-style ViT, BLIP's BERT (med.py) with self- and cross-attention, ImageReward.score's
    [ENC] substitution, MLP and normalisation (r - 0.16717362830052426) / 1.0333394966054072;
  - HPSv2: OpenCLIP's VisionTransformer / text transformer with torch's own nn.MultiheadAttention, F.normalize.
Preprocessing is F.interpolate(bilinear, align_corners=False) of the shorter side to the model size, centre crop,
CLIP mean/std. Prompts are tokenised by the independent reference tokenizers (Fixtures/text/bert_reference.py on the
zoo's vocab.txt; TinyModels/Reference/tiny_bpe_reference.py's BPE on the zoo's vocab.json/merges.txt).

For images wave((2,3,36,52), 0.017, 0.3, 0.45, 0.5) (offset + scale * sin(a*i + b), float64 then float32) and
weights [1, -0.5] it writes the scores and, per reward, d(sum_b weights[b] * score[b]) / d images as
<kind>.image_grad.npy (float32, [2, 3, 36, 52]), plus the token ids, to Fixtures/rewards/.

Regenerate (Debian's interpreter has torch 1.13, onnx and python3-regex):
  ORTDIFFUSION_KEEP_TINYZOO=/tmp/tinyzoo dotnet test tests/OrtDiffusion.Tests --filter FullyQualifiedName~ZooLayoutTests
  /usr/bin/python3 tests/OrtDiffusion.Tests/Rewards/Reference/rewards_torch_reference.py /tmp/tinyzoo
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(TESTS, "TinyModels", "Reference"))
sys.path.insert(0, os.path.join(TESTS, "Fixtures", "text"))
import bert_reference  # noqa: E402
import tiny_bpe_reference  # noqa: E402
import zoo_torch_reference as zoo  # noqa: E402

OUT = os.path.join(TESTS, "Fixtures", "rewards")
MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
STD = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)
IR_MEAN, IR_STD = 0.16717362830052426, 1.0333394966054072
IMAGES = "wave((2,3,36,52), 0.017, 0.3, 0.45, 0.5)"
WEIGHTS = [1.0, -0.5]
CLIP_PROMPT = "a watercolor painting of a lighthouse at sunset"
IR_PROMPT = "A photographing of Sunflowers, caf\u00e9 \u2603!"


def preprocess(images, size):
    h, w = images.shape[-2:]
    short = min(h, w)
    nh, nw = h * size // short, w * size // short
    x = F.interpolate(images, size=(nh, nw), mode="bilinear", align_corners=False)
    top, left = (nh - size) // 2, (nw - size) // 2
    return (x[:, :, top:top + size, left:left + size] - MEAN) / STD


def ln(w, x, name, eps):
    return F.layer_norm(x, (x.shape[-1],), w[name + ".weight"], w[name + ".bias"], eps)


def lin(w, x, name):
    return x @ w[name + ".weight.T"] + w[name + ".bias"]


# --- ImageReward: BLIP ViT (timm), BLIP BERT (med.py), MLP --------------------------------------------------------
def blip_vit(w, x):
    p = "blip.visual_encoder"
    x = F.conv2d(x, w[p + ".patch_embed.proj.weight"], w[p + ".patch_embed.proj.bias"], stride=8).flatten(2).transpose(1, 2)
    x = torch.cat([w[p + ".cls_token"].expand(x.shape[0], -1, -1), x], dim=1)
    x = x + w[p + ".pos_embed"][:, :x.shape[1], :]
    for i in range(2):
        n = f"{p}.blocks.{i}"
        h = ln(w, x, n + ".norm1", 1e-6)
        b, t, c = h.shape
        qkv = lin(w, h, n + ".attn.qkv").reshape(b, t, 3, 2, c // 2).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = ((q @ k.transpose(-2, -1)) * (c // 2) ** -0.5).softmax(dim=-1)
        x = x + lin(w, (a @ v).transpose(1, 2).reshape(b, t, c), n + ".attn.proj")
        x = x + lin(w, F.gelu(lin(w, ln(w, x, n + ".norm2", 1e-6), n + ".mlp.fc1")), n + ".mlp.fc2")
    return ln(w, x, p + ".norm", 1e-6)


def bert_attention(w, h, ctx, name, additive_mask, heads=2):
    src = h if ctx is None else ctx
    b, n, width = h.shape
    d = width // heads

    def split(t):
        return t.view(t.shape[0], t.shape[1], heads, d).permute(0, 2, 1, 3)

    q, k, v = split(lin(w, h, name + ".self.query")), split(lin(w, src, name + ".self.key")), split(lin(w, src, name + ".self.value"))
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + additive_mask
    context = torch.matmul(scores.softmax(dim=-1), v).permute(0, 2, 1, 3).reshape(b, n, width)
    return ln(w, lin(w, context, name + ".output.dense") + h, name + ".output.LayerNorm", 1e-12)


def image_reward(w, images, ids, mask, enc_id):
    image_embeds = blip_vit(w, preprocess(images, 32))
    ids = ids.clone()
    ids[:, 0] = enc_id  # ImageReward.score: text_input.input_ids[:, 0] = self.blip.tokenizer.enc_token_id
    t = "blip.text_encoder"
    h = w[t + ".embeddings.word_embeddings.weight"][ids] + w[t + ".embeddings.position_embeddings.weight"][: ids.shape[1]]
    h = ln(w, h, t + ".embeddings.LayerNorm", 1e-12)
    self_mask = (1.0 - mask[:, None, None, :].float()) * -10000.0
    image_atts = torch.ones(image_embeds.shape[:-1], dtype=torch.long)
    cross_mask = (1.0 - image_atts[:, None, None, :].float()) * -10000.0
    for layer in range(2):
        n = f"{t}.encoder.layer.{layer}"
        h = bert_attention(w, h, None, n + ".attention", self_mask)
        h = bert_attention(w, h, image_embeds, n + ".crossattention", cross_mask)
        h = ln(w, lin(w, F.gelu(lin(w, h, n + ".intermediate.dense")), n + ".output.dense") + h, n + ".output.LayerNorm", 1e-12)
    x = h[:, 0, :]
    for layer in (0, 2, 4, 6, 7):
        x = F.linear(x, w[f"mlp.layers.{layer}.weight"], w[f"mlp.layers.{layer}.bias"])
    raw = x.squeeze(1)
    return raw, (raw - IR_MEAN) / IR_STD


# --- HPSv2: OpenCLIP towers with torch's nn.MultiheadAttention ----------------------------------------------------
def resblocks(w, x, prefix, width, heads, mask):
    for i in range(2):
        n = f"{prefix}.resblocks.{i}"
        attn = torch.nn.MultiheadAttention(width, heads)
        with torch.no_grad():
            attn.in_proj_weight.copy_(w[n + ".attn.in_proj_weight.T"].T)
            attn.in_proj_bias.copy_(w[n + ".attn.in_proj_bias"])
            attn.out_proj.weight.copy_(w[n + ".attn.out_proj.weight"])
            attn.out_proj.bias.copy_(w[n + ".attn.out_proj.bias"])
        attn.eval()
        q = ln(w, x, n + ".ln_1", 1e-5)
        x = x + attn(q, q, q, need_weights=False, attn_mask=mask)[0]
        x = x + lin(w, F.gelu(lin(w, ln(w, x, n + ".ln_2", 1e-5), n + ".mlp.c_fc")), n + ".mlp.c_proj")
    return x


def openclip_image(w, images):
    x = F.conv2d(preprocess(images, 28), w["visual.conv1.weight"], stride=7)
    x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
    x = torch.cat([w["visual.class_embedding"] + torch.zeros(x.shape[0], 1, x.shape[-1]), x], dim=1)
    x = ln(w, x + w["visual.positional_embedding"], "visual.ln_pre", 1e-5).permute(1, 0, 2)
    x = resblocks(w, x, "visual.transformer", 48, 2, None).permute(1, 0, 2)
    return ln(w, x[:, 0], "visual.ln_post", 1e-5) @ w["visual.proj"]


def openclip_text(w, ids):
    x = (w["token_embedding.weight"][ids] + w["positional_embedding"]).permute(1, 0, 2)
    mask = torch.empty(77, 77).fill_(float("-inf")).triu_(1)
    x = ln(w, resblocks(w, x, "transformer", 40, 2, mask).permute(1, 0, 2), "ln_final", 1e-5)
    return F.normalize(x[torch.arange(x.shape[0]), ids.argmax(dim=-1)] @ w["text_projection"], dim=-1)


# --- tokenisers -------------------------------------------------------------------------------------------------
def clip_ids(folder, text, pad_id):
    vocab = json.load(open(os.path.join(folder, "vocab.json"), encoding="utf-8"))
    merges = [tuple(l.split()) for l in open(os.path.join(folder, "merges.txt"), encoding="utf-8").read().splitlines()[1:] if l]
    ids = tiny_bpe_reference.encode(text, {m: i for i, m in enumerate(merges)}, vocab)
    return ids + [pad_id] * (77 - len(ids))


def wordpiece_ids(folder, text):
    lines = open(os.path.join(folder, "vocab.txt"), encoding="utf-8").read().splitlines()
    assert len(set(lines)) == len(lines), "vocab.txt repeats a token"
    vocab = {t: i for i, t in enumerate(lines)}
    tokens = bert_reference.tokenize(text, vocab)
    ids = [vocab["[CLS]"]] + [vocab[t] for t in tokens][:33] + [vocab["[SEP]"]]
    return tokens, ids + [vocab["[PAD]"]] * (35 - len(ids)), [1] * len(ids) + [0] * (35 - len(ids)), len(lines)


def gradient(score_fn, images):
    x = images.clone().requires_grad_(True)
    scores = score_fn(x)
    (scores * torch.tensor(WEIGHTS)).sum().backward()
    return scores.detach(), x.grad.detach()


def main(zoo_root):
    torch.manual_seed(0)
    rewards = os.path.join(zoo_root, "rewards")
    images = zoo.wave((2, 3, 36, 52), 0.017, 0.3, 0.45, 0.5)
    out = {"zoo": "seed 0, opset 17 (TinyZooOptions.Default)", "images": IMAGES, "weights": WEIGHTS}

    clip_tok = os.path.join(rewards, "clip", "tokenizer")
    eos = json.load(open(os.path.join(clip_tok, "vocab.json")))["<|endoftext|>"]
    ids = clip_ids(clip_tok, CLIP_PROMPT, eos)
    text = zoo.Weights(os.path.join(rewards, "clip", "text_model.onnx"))
    _, pooled = zoo.clip_text(text, torch.tensor([ids]))
    text_embeds = zoo.normalise(pooled @ text["text_projection.weight.T"]).detach()
    clip = zoo.Weights(os.path.join(rewards, "clip", "model.onnx"))
    scores, grad = gradient(lambda x: (zoo.clip_image(clip, x) * zoo.normalise(text_embeds)).sum(-1), images)
    out["clip"] = {"prompt": CLIP_PROMPT, "input_ids": ids, "score": zoo.flat(scores)}
    np.save(os.path.join(OUT, "clip.image_grad.npy"), grad.numpy().astype(np.float32))

    aesthetic = zoo.Weights(os.path.join(rewards, "aesthetic", "model.onnx"))

    def aesthetic_score(x):
        f = zoo.clip_image(aesthetic, x)
        for layer in (0, 2, 4, 6, 7):
            f = zoo.gemm(aesthetic, f, f"layers.{layer}")
        return f.squeeze(1)

    scores, grad = gradient(aesthetic_score, images)
    out["aesthetic"] = {"score": zoo.flat(scores)}
    np.save(os.path.join(OUT, "aesthetic.image_grad.npy"), grad.numpy().astype(np.float32))

    tokens, ir_ids, ir_mask, vocab_size = wordpiece_ids(os.path.join(rewards, "image_reward", "tokenizer"), IR_PROMPT)
    ir = zoo.Weights(os.path.join(rewards, "image_reward", "model.onnx"))
    enc_id = vocab_size + 1  # BLIP adds [DEC] then [ENC] after bert's vocabulary
    ids_t, mask_t = torch.tensor([ir_ids, ir_ids]), torch.tensor([ir_mask, ir_mask])
    raw, _ = image_reward(ir, images, ids_t, mask_t, enc_id)
    scores, grad = gradient(lambda x: image_reward(ir, x, ids_t, mask_t, enc_id)[1], images)
    out["image_reward"] = {"prompt": IR_PROMPT, "tokens": tokens, "input_ids": ir_ids, "attention_mask": ir_mask, "enc_token_id": enc_id,
                           "raw": zoo.flat(raw), "score": zoo.flat(scores)}
    np.save(os.path.join(OUT, "image_reward.image_grad.npy"), grad.numpy().astype(np.float32))

    hps_tok = os.path.join(rewards, "hpsv2", "tokenizer")
    hps_ids = clip_ids(hps_tok, CLIP_PROMPT, 0)  # open_clip.tokenize pads with 0
    hps_text = openclip_text(zoo.Weights(os.path.join(rewards, "hpsv2", "text_model.onnx")), torch.tensor([hps_ids])).detach()
    hps = zoo.Weights(os.path.join(rewards, "hpsv2", "model.onnx"))

    def hps_score(x):
        f = openclip_image(hps, x)
        f = f / f.norm(dim=-1, keepdim=True)
        return torch.diagonal(f @ (hps_text / hps_text.norm(dim=-1, keepdim=True)).expand(f.shape[0], -1).T)

    scores, grad = gradient(hps_score, images)
    out["hpsv2"] = {"prompt": CLIP_PROMPT, "input_ids": hps_ids, "text_embeds": zoo.flat(hps_text), "score": zoo.flat(scores)}
    np.save(os.path.join(OUT, "hpsv2.image_grad.npy"), grad.numpy().astype(np.float32))

    with open(os.path.join(OUT, "rewards_torch_expected.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("wrote", OUT, {k: out[k]["score"] for k in ("clip", "aesthetic", "image_reward", "hpsv2")})


if __name__ == "__main__":
    main(sys.argv[1])

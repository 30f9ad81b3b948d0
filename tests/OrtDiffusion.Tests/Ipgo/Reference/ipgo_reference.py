"""Independent PyTorch reference values for the IPGO tests.

Run with Debian's interpreter (torch 1.13, numpy):
    /usr/bin/python3 ipgo_reference.py > ../IpgoTorchReference.g.cs

Everything here is computed by PyTorch itself, never by OrtDiffusion:
  * init: the released code's token module (orthogonal(nn.Linear(K, D)) + the coefficient/angle parameter, drawn in
    the same order) built under torch.manual_seed, at a small size;
  * token: tokens and autograd gradients (w.r.t. the orthogonal parametrisation's `original`, the bias and the raw
    coefficients/angles) of <tokens, R> for a state with coefficients and angles outside their clamp bounds, with the
    pairwise rotation of papers/NOTES.md (and without it);
  * adam: torch.optim.Adam + clip_grad_norm_ + StepLR over a fixed gradient sequence;
  * penalty: the conformity penalty and its autograd gradient.
"""
import math

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import orthogonal

D, K, L = 16, 6, 3
SEED = 7


class ClampVar(nn.Module):
    """The released code's value constraint: coefficients clamped to [-1, 1], angles to [-pi, pi]."""

    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, w):
        return torch.cat((w[:, :self.k].clamp(-1, 1), w[:, self.k:].clamp(-torch.pi, torch.pi)), dim=1)


class TokenModule(nn.Module):
    """The released ProjX with K = proj_dim * num_tokens written directly, and the rotation actually applied."""

    def __init__(self, d, k, length, rotation):
        super().__init__()
        self.d, self.k, self.length, self.rotation = d, k, length, rotation
        self.linear = orthogonal(nn.Linear(k, d))
        self.x = nn.Parameter(torch.cat(((torch.rand(length, k) * 2 - 1) * 1, (torch.rand(length, 2) * 2 - 1) * torch.pi), dim=1))
        parametrize.register_parametrization(self, "x", ClampVar(k))

    def forward(self):
        tokens = []
        for i in range(self.length):
            token = self.linear(self.x[i:i + 1, :self.k])[0]
            if self.rotation:
                token = rotate(token, self.x[i, self.k:], i, self.d)
            tokens.append(token)
        return torch.stack(tokens)


def rotate(token, angles, start, d):
    """NOTES.md: for j = 0 then 1, pairs ((start+2k+j) mod D, (start+2k+1+j) mod D) rotated by angles[j]."""
    for j in range(2):
        ix = (start + j + torch.arange(0, d, 2)) % d
        iy = (start + j + torch.arange(1, d, 2)) % d
        x, y = token[ix], token[iy]
        c, s = torch.cos(angles[j]), torch.sin(angles[j])
        new = token.clone()
        new[ix] = x * c - y * s
        new[iy] = x * s + y * c
        token = new
    return token


def parameters_of(m):
    return [m.linear.parametrizations.weight.original, m.linear.bias, m.parametrizations.x.original]


out = {}

# ---- init: the same draws as the released code, prefix first, then suffix
torch.manual_seed(SEED)
prefix = TokenModule(D, K, L, rotation=True)
suffix = TokenModule(D, K, L, rotation=True)
for name, m in (("Prefix", prefix), ("Suffix", suffix)):
    with torch.no_grad():
        # clone(): the token section below overwrites the prefix's parameters in place
        out[f"Init{name}Weight"] = m.linear.weight.clone()  # W = B[:, :K]
        out[f"Init{name}Base"] = m.linear.parametrizations.weight[0].base.clone()
        out[f"Init{name}Original"] = m.linear.parametrizations.weight.original.clone()
        out[f"Init{name}Bias"] = m.linear.bias.clone()
        out[f"Init{name}Raw"] = m.parametrizations.x.original.clone()

# ---- token: a state off the initial point, with clamped coefficients and angles
g = torch.Generator().manual_seed(11)
with torch.no_grad():
    original = torch.randn(D, K, generator=g) * 0.3
    original.diagonal().fill_(-1.0)
    prefix.linear.parametrizations.weight.original.copy_(original)
    prefix.linear.bias.copy_(torch.randn(D, generator=g) * 0.5)
    raw = torch.cat((torch.rand(L, K, generator=g) * 3 - 1.5, torch.rand(L, 2, generator=g) * 8 - 4), dim=1)
    raw[0, 0] = 1.5      # a coefficient above the bound: zero gradient
    raw[1, 2] = -0.25    # one inside
    raw[0, K] = 3.5      # an angle above pi: zero gradient
    raw[1, K + 1] = -1.0 # one inside
    prefix.parametrizations.x.original.copy_(raw)
R = torch.randn(L, D, generator=g)
out["TokenBase"] = prefix.linear.parametrizations.weight[0].base.detach()
out["TokenOriginal"] = original
out["TokenBias"] = prefix.linear.bias.detach()
out["TokenRaw"] = raw
out["TokenCotangent"] = R
for rotation in (True, False):
    prefix.rotation = rotation
    prefix.zero_grad()
    tokens = prefix()
    (tokens * R).sum().backward()
    tag = "Rotated" if rotation else "Plain"
    w = prefix.linear.weight.detach()
    out[f"Token{tag}Weight"] = w
    out[f"Token{tag}Tokens"] = tokens.detach()
    grads = [p.grad.clone() for p in parameters_of(prefix)]
    out[f"Token{tag}GradOriginal"] = grads[0]
    out[f"Token{tag}GradBias"] = grads[1]
    out[f"Token{tag}GradRaw"] = grads[2]

# ---- adam: Adam(lr 0.1) + clip_grad_norm_(1) + StepLR(step 2, gamma 0.5), gradients g_t(i) = s_t sin(0.7 i + t)
a = nn.Parameter(torch.linspace(-1, 1, 6))
b = nn.Parameter(torch.linspace(0.5, -0.5, 4))
optimizer = torch.optim.Adam([a, b], lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
schedule = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
scales = [3.0, 0.2, 1.5, 0.05, 2.5, 0.3]
params, norms, rates = [], [], []
for t, scale in enumerate(scales):
    optimizer.zero_grad()
    a.grad = (scale * torch.sin(0.7 * torch.arange(6) + t)).float()
    b.grad = (scale * torch.cos(0.3 * torch.arange(4) - t)).float()
    rates.append(optimizer.param_groups[0]["lr"])
    norms.append(float(torch.nn.utils.clip_grad_norm_([a, b], 1.0)))
    optimizer.step()
    schedule.step()
    params.append(torch.cat((a.detach(), b.detach())))
out["AdamScales"] = torch.tensor(scales)
out["AdamParameters"] = torch.stack(params)
out["AdamNorms"] = torch.tensor(norms, dtype=torch.float64)
out["AdamRates"] = torch.tensor(rates, dtype=torch.float64)

# ---- penalty: sum_d |mean_seq(c)_d - mean_seq(E)_d| / D
c = torch.randn(1, 9, D, generator=g, requires_grad=True)
e = torch.randn(1, 4, D, generator=g)
penalty = torch.sum(torch.abs(torch.mean(c, dim=1) - torch.mean(e, dim=1))) / c.shape[-1]
penalty.backward()
out["PenaltyConditional"] = c.detach()
out["PenaltyPrompt"] = e
out["PenaltyValue"] = penalty.detach().double().reshape(1)
out["PenaltyGradient"] = c.grad


def literal(t):
    arr = t.detach().cpu().numpy()
    if arr.dtype == np.float64:
        return "[" + ", ".join(repr(float(v)) for v in arr.reshape(-1)) + "]", "double"
    return "[" + ", ".join(repr(float(np.float32(v))) + "f" for v in arr.reshape(-1)) + "]", "float"


print("// <auto-generated> by Ipgo/Reference/ipgo_reference.py (PyTorch " + torch.__version__ + "); do not edit.</auto-generated>")
print("namespace OrtDiffusion.Tests.Ipgo;")
print()
print("/// <summary>PyTorch's values for the IPGO tests (see Reference/ipgo_reference.py).</summary>")
print("internal static class IpgoTorchReference")
print("{")
print(f"    public const int D = {D}, K = {K}, L = {L};")
print(f"    public const ulong Seed = {SEED};")
for name, t in out.items():
    text, kind = literal(t)
    print(f"    public static readonly {kind}[] {name} = {text};")
print("}")

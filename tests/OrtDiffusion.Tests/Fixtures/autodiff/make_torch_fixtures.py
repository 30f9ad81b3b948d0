#!/usr/bin/python3
"""Exports small torch modules with torch.onnx.export (the real exporter's op patterns) at opsets 14
and 17, and stores torch autograd's vector-Jacobian products as the reference for our differentiator.

Run with Debian's interpreter (apt: python3-torch python3-onnx):  /usr/bin/python3 make_torch_fixtures.py
For each case it writes <case>_opset<N>.onnx and <case>.npz-like .npy files:
  <case>.<input>.npy          forward input
  <case>.cotangent.npy        the cotangent u of the output
  <case>.output.npy           torch's forward output
  <case>.<input>.grad.npy     torch's VJP  (d<u, f(x)>/dx)
"""
import os
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1234)
HERE = os.path.dirname(os.path.abspath(__file__))


class GroupNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.GroupNorm(4, 8, eps=1e-5)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x):
        return self.norm(x)


class Attention(nn.Module):
    """Cross-attention as diffusers writes it (heads, scale, softmax over keys)."""

    def __init__(self, dim=16, context_dim=12, heads=2):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.q = nn.Linear(dim, dim, bias=False)
        self.k = nn.Linear(context_dim, dim, bias=False)
        self.v = nn.Linear(context_dim, dim, bias=False)
        self.out = nn.Linear(dim, dim)

    def split(self, t):
        b, n, d = t.shape
        return t.reshape(b, n, self.heads, d // self.heads).permute(0, 2, 1, 3)

    def forward(self, x, context):
        q, k, v = self.split(self.q(x)), self.split(self.k(context)), self.split(self.v(context))
        scores = torch.matmul(q, k.transpose(-1, -2)) * self.scale
        attn = scores.softmax(dim=-1)
        h = torch.matmul(attn, v).permute(0, 2, 1, 3)
        b, n, _, _ = h.shape
        return self.out(h.reshape(b, n, -1))


class LayerNormGelu(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(16)
        self.fc = nn.Linear(16, 32)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x):
        return F.gelu(self.fc(self.norm(x)))


class Interpolate(nn.Module):
    def forward(self, x):
        up = F.interpolate(x, scale_factor=2.0, mode="nearest")
        bil = F.interpolate(x, size=(7, 5), mode="bilinear", align_corners=False)
        return up.sum(dim=(2, 3)) + bil.mean(dim=(2, 3)) * 3.0


class MiniUNetBlock(nn.Module):
    """ResNet block with time embedding, a downsample and an upsample with a skip concat."""

    def __init__(self):
        super().__init__()
        self.conv_in = nn.Conv2d(4, 8, 3, padding=1)
        self.norm1 = nn.GroupNorm(4, 8)
        self.conv1 = nn.Conv2d(8, 8, 3, padding=1)
        self.time = nn.Linear(6, 8)
        self.norm2 = nn.GroupNorm(4, 8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.down = nn.Conv2d(8, 8, 3, stride=2, padding=1)
        self.up = nn.Conv2d(8, 8, 3, padding=1)
        self.conv_out = nn.Conv2d(16, 4, 3, padding=1)

    def forward(self, sample, temb):
        h0 = self.conv_in(sample)
        h = self.conv1(F.silu(self.norm1(h0)))
        h = h + self.time(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h))) + h0
        d = self.down(h)
        u = self.up(F.interpolate(d, scale_factor=2.0, mode="nearest"))
        return self.conv_out(torch.cat([u, h], dim=1))


CASES = {
    "groupnorm": (GroupNorm(), {"x": (2, 8, 5, 6)}, {"x": {0: "batch", 2: "height", 3: "width"}}),
    "attention": (Attention(), {"x": (2, 6, 16), "context": (2, 7, 12)}, {"x": {0: "batch", 1: "tokens"}, "context": {0: "batch", 1: "sequence"}}),
    "layernorm_gelu": (LayerNormGelu(), {"x": (2, 5, 16)}, {"x": {0: "batch", 1: "tokens"}}),
    "interpolate": (Interpolate(), {"x": (2, 3, 4, 6)}, {"x": {0: "batch"}}),
    "mini_unet": (MiniUNetBlock(), {"sample": (2, 4, 8, 8), "temb": (2, 6)}, {"sample": {0: "batch", 2: "height", 3: "width"}, "temb": {0: "batch"}}),
}


def main():
    for name, (module, shapes, axes) in CASES.items():
        module.eval()
        inputs = {k: torch.randn(*s, dtype=torch.float32) for k, s in shapes.items()}
        args = tuple(inputs[k] for k in shapes)
        for opset in (14, 17):
            torch.onnx.export(
                module, args, os.path.join(HERE, f"{name}_opset{opset}.onnx"),
                input_names=list(shapes), output_names=["y"],
                dynamic_axes={**axes, "y": {0: "batch"}}, opset_version=opset, do_constant_folding=True)
        leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
        y = module(*[leaves[k] for k in shapes])
        u = torch.randn_like(y)
        (y * u).sum().backward()
        for k in shapes:
            np.save(os.path.join(HERE, f"{name}.{k}.npy"), inputs[k].numpy())
            np.save(os.path.join(HERE, f"{name}.{k}.grad.npy"), leaves[k].grad.numpy())
        np.save(os.path.join(HERE, f"{name}.cotangent.npy"), u.detach().numpy())
        np.save(os.path.join(HERE, f"{name}.output.npy"), y.detach().numpy())
        print(name, {k: tuple(v.shape) for k, v in inputs.items()}, "->", tuple(y.shape))


if __name__ == "__main__":
    main()

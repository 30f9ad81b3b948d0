"""Torch adapters that give PixArt-alpha's networks OrtDiffusion's ONNX contract.

Only torch is imported at module level (diffusers objects are passed in), so ``selfcheck.py`` can trace the
position-embedding module on a machine without diffusers.
"""
import torch
import torch.nn as nn


class SinCosPositions2d(nn.Module):
    """The 2-D sine-cosine position table of a ``gh x gw`` patch grid, computed from traced sizes.

    Mirrors diffusers' ``get_2d_sincos_pos_embed`` / ``get_2d_sincos_pos_embed_from_grid`` /
    ``get_1d_sincos_pos_embed_from_grid`` (diffusers 0.31, ``models/embeddings.py``): grid coordinates
    ``arange(g) / (g / base_size) / interpolation_scale`` in float32, frequencies ``1 / 10000 ** (k / (D/4))`` in
    float64, row-major patches; the first half of the channels encodes the column (w) coordinate, the second half
    the row (h) coordinate, each as ``[sin, cos]``. Result ``[1, gh * gw, D]`` float32.

    diffusers computes this table with numpy for any grid but the default one, which a trace would freeze into a
    constant; computing it from the traced grid size keeps height and width symbolic in the exported graph."""

    def __init__(self, embed_dim, base_size, interpolation_scale):
        super().__init__()
        if embed_dim % 4 != 0:
            raise ValueError(f"embed_dim must be divisible by 4, got {embed_dim}")
        self.base_size = base_size
        self.interpolation_scale = interpolation_scale
        quarter = embed_dim // 4
        omega = torch.arange(quarter, dtype=torch.float64) / (embed_dim / 4.0)
        self.register_buffer("omega", 1.0 / 10000 ** omega, persistent=False)

    def axis(self, size):
        return torch.arange(size, dtype=torch.float32) / (size / self.base_size) / self.interpolation_scale

    def encode(self, positions):
        angles = positions.to(torch.float64)[:, None] * self.omega[None, :]
        return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)

    def forward(self, gh, gw):
        cols = self.axis(gw).view(1, -1).expand(gh, gw).reshape(-1)
        rows = self.axis(gh).view(-1, 1).expand(gh, gw).reshape(-1)
        return torch.cat([self.encode(cols), self.encode(rows)], dim=1).float().unsqueeze(0)


class TracedPatchEmbed(nn.Module):
    """Drop-in for diffusers' ``PatchEmbed`` (sincos, no ``pos_embed_max_size``) whose position table follows the
    input size in the trace; the projection and the arithmetic are PatchEmbed.forward's."""

    def __init__(self, patch_embed):
        super().__init__()
        if getattr(patch_embed, "pos_embed_max_size", None):
            raise ValueError("PatchEmbed with pos_embed_max_size (SD3-style cropping) is not PixArt-alpha's")
        if getattr(patch_embed, "pos_embed", None) is None:
            raise ValueError("PatchEmbed without a position table is not PixArt-alpha's")
        self.proj = patch_embed.proj
        self.flatten = patch_embed.flatten
        self.norm = patch_embed.norm if patch_embed.layer_norm else None
        self.patch_size = patch_embed.patch_size
        self.positions = SinCosPositions2d(
            patch_embed.pos_embed.shape[-1], patch_embed.base_size, patch_embed.interpolation_scale)

    def forward(self, latent):
        gh = latent.shape[-2] // self.patch_size
        gw = latent.shape[-1] // self.patch_size
        latent = self.proj(latent)
        if self.flatten:
            latent = latent.flatten(2).transpose(1, 2)
        if self.norm is not None:
            latent = self.norm(latent)
        return (latent + self.positions(gh, gw)).to(latent.dtype)


class PixArtTransformerForExport(nn.Module):
    """Positional inputs with OrtDiffusion's names around ``PixArtTransformer2DModel.forward``, called as
    ``PixArtAlphaPipeline.__call__`` calls it. ``resolution [B, 2]`` (height, width in pixels) and
    ``aspect_ratio [B, 1]`` (height / width) exist only for models with additional conditions (the 1024-px ones)."""

    def __init__(self, transformer, with_size_conditions):
        super().__init__()
        self.transformer = transformer
        self.with_size_conditions = with_size_conditions

    def forward(self, hidden_states, timestep, encoder_hidden_states, encoder_attention_mask,
                resolution=None, aspect_ratio=None):
        conditions = {"resolution": resolution, "aspect_ratio": aspect_ratio}
        return self.transformer(
            hidden_states,
            encoder_hidden_states=encoder_hidden_states,
            timestep=timestep,
            added_cond_kwargs=conditions,
            encoder_attention_mask=encoder_attention_mask,
            return_dict=False,
        )[0]


class T5EncoderForExport(nn.Module):
    """``T5EncoderModel(input_ids, attention_mask).last_hidden_state``, as PixArtAlphaPipeline.encode_prompt uses it."""

    def __init__(self, text_encoder):
        super().__init__()
        self.text_encoder = text_encoder

    def forward(self, input_ids, attention_mask):
        return self.text_encoder(input_ids=input_ids, attention_mask=attention_mask)[0]


class VaeDecoderForExport(nn.Module):
    """``latent_sample -> sample``: Optimum's ``vae_decoder.forward = lambda latent_sample: decode(z=latent_sample)``
    (optimum/exporters/utils.py, _get_submodels_for_export_diffusion)."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, latent_sample):
        return self.vae.decode(latent_sample, return_dict=False)[0]


class VaeEncoderForExport(nn.Module):
    """``sample -> latent_parameters`` (mean and log-variance, 8 channels), as Optimum exports the VAE encoder."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, sample):
        return self.vae.encode(sample, return_dict=False)[0].parameters

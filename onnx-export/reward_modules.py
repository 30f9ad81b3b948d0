"""Torch modules that wrap reward networks into OrtDiffusion's reward contract.

A reward graph takes ``images [B, 3, H, W]`` (RGB in [0, 1], any size) and does its own preprocessing, so the
preprocessing is differentiated together with the network:

1. shorter side resized to ``size`` (bilinear or bicubic, no antialias, half-pixel centres), the long side to
   ``int(size * long / short)`` -- torchvision's ``_compute_resized_output_size`` for an int size;
2. centre crop ``size x size`` at ``int(round((side - size) / 2))`` -- torchvision's ``center_crop`` offsets
   (Python's round, i.e. half to even);
3. ``(x - mean) / std`` per channel.

Sizes and offsets are computed from the traced input shape (``Shape`` in ONNX), so one exported graph serves every
image size. Only torch is imported here, so ``selfcheck.py`` can trace these modules with stand-in networks on a
machine without transformers / open_clip / ImageReward.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.onnx import operators

# OpenAI CLIP's normalisation, used by CLIP ViT-L/14, the LAION aesthetic predictor, ImageReward and HPSv2.
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

# ImageReward v1.0's score normalisation: ImageReward.ImageReward.__init__ (self.mean, self.std).
IMAGE_REWARD_MEAN = 0.16717362830052426
IMAGE_REWARD_STD = 1.0333394966054072


class ResizeCropNormalize(nn.Module):
    """Shorter side to ``size``, centre crop ``size x size``, CLIP mean/std -- torchvision's Resize(size) +
    CenterCrop(size) + Normalize on tensors, with antialias off (a plain, differentiable linear map)."""

    def __init__(self, size=224, mode="bilinear", mean=CLIP_MEAN, std=CLIP_STD):
        super().__init__()
        if mode not in ("bilinear", "bicubic"):
            raise ValueError(f"resize mode must be 'bilinear' or 'bicubic', not {mode!r}")
        self.size = int(size)
        self.mode = mode
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)

    def forward(self, images):
        # shape_as_tensor keeps the sizes symbolic when traced (Shape -> Gather), and is a plain tensor in eager mode.
        hw = operators.shape_as_tensor(images)[2:]
        short = torch.minimum(hw[0], hw[1])  # ONNX Min of two scalars (ReduceMin hides the sizes from shape inference)
        # torchvision: new_short = size, new_long = int(size * long / short); integer division gives the same for
        # positive sizes, without float rounding. "trunc" exports as a plain Div (+ Casts), whose result OrtDiffusion's
        # shape inference follows; "floor" adds a sign-correcting Where that hides the sizes from it.
        new_hw = torch.div(hw * self.size, short, rounding_mode="trunc")
        x = F.interpolate(images, size=(new_hw[0], new_hw[1]), mode=self.mode, align_corners=False)
        # torchvision center_crop: int(round((side - size) / 2.0)); torch.round is half-to-even like Python's round.
        offsets = torch.round((new_hw - self.size).to(torch.float32) / 2.0).to(torch.int64)
        top, left = offsets[0], offsets[1]
        x = x[:, :, top:top + self.size, left:left + self.size]
        return (x - self.mean) / self.std


def l2_normalise(x):
    """``x / ||x||`` over the last axis, as CLIPModel.forward and open_clip's ``F.normalize`` do (ReduceL2 + Div)."""
    return x / x.norm(p=2, dim=-1, keepdim=True)


class CosineScore(nn.Module):
    """CLIP score / HPSv2: cosine of the image features and the prompt's ``text_embeds`` (1 row or one per image).

    ``image_encoder`` maps preprocessed pixels ``[B, 3, S, S]`` to features ``[B, D]`` (not yet normalised).
    The score is the plain cosine, no x100 logit scale (DATE's CLIP reward; hpsv2.img_score's diagonal)."""

    def __init__(self, image_encoder, preprocess):
        super().__init__()
        self.preprocess = preprocess
        self.image_encoder = image_encoder

    def forward(self, images, text_embeds):
        image_features = l2_normalise(self.image_encoder(self.preprocess(images)))
        return (image_features * l2_normalise(text_embeds)).sum(dim=-1)


class NormalisedText(nn.Module):
    """The text side of a two-tower reward: ``input_ids [B, 77]`` -> unit-norm ``text_embeds [B, D]``."""

    def __init__(self, text_encoder):
        super().__init__()
        self.text_encoder = text_encoder

    def forward(self, input_ids):
        return l2_normalise(self.text_encoder(input_ids))


class AestheticMlp(nn.Module):
    """The LAION aesthetic predictor v2 head (improved-aesthetic-predictor's ``MLP``): 768 -> 1024 -> 128 -> 64 -> 16
    -> 1, no activations; dropout is the identity at inference. Module indices match the checkpoint's keys
    ``layers.0/2/4/6/7`` so ``load_state_dict`` takes ``sac+logos+ava1-l14-linearMSE.pth`` as it is."""

    def __init__(self, input_size=768):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(input_size, 1024),
            nn.Dropout(0.2),
            nn.Linear(1024, 128),
            nn.Dropout(0.2),
            nn.Linear(128, 64),
            nn.Dropout(0.1),
            nn.Linear(64, 16),
            nn.Linear(16, 1),
        )

    def forward(self, x):
        return self.layers(x)


class AestheticScore(nn.Module):
    """LAION aesthetic v2: MLP on L2-normalised CLIP ViT-L/14 image features (simple_inference.py's ``normalized``)."""

    def __init__(self, image_encoder, preprocess, mlp):
        super().__init__()
        self.preprocess = preprocess
        self.image_encoder = image_encoder
        self.mlp = mlp

    def forward(self, images):
        features = l2_normalise(self.image_encoder(self.preprocess(images)))
        return self.mlp(features).squeeze(-1)


class ImageRewardScore(nn.Module):
    """ImageReward v1.0, following ``ImageReward.score_gard``: BLIP ViT-L image embeddings, BLIP's BERT text encoder
    cross-attending to them, the [CLS] state through the MLP, then ``(r - mean) / std`` -- the normalisation is in
    the graph, so ``score`` is the same number ``ImageReward.score`` returns.

    ``visual_encoder(pixels) -> [B, N, 1024]``; ``text_encoder(input_ids, attention_mask, encoder_hidden_states,
    encoder_attention_mask) -> last_hidden_state``. ``input_ids``/``attention_mask`` may have 1 row (broadcast to
    every image) or one per image."""

    def __init__(self, visual_encoder, text_encoder, mlp, preprocess, mean=IMAGE_REWARD_MEAN, std=IMAGE_REWARD_STD):
        super().__init__()
        self.preprocess = preprocess
        self.visual_encoder = visual_encoder
        self.text_encoder = text_encoder
        self.mlp = mlp
        self.mean = float(mean)
        self.std = float(std)

    def forward(self, images, input_ids, attention_mask):
        image_embeds = self.visual_encoder(self.preprocess(images))
        # One text row per image by broadcasting against [B, 1] zeros: exports as ConstantOfShape + Add, whose rank
        # shape inference knows (torch exports expand(B, -1) through a Where that hides the output's rank).
        rows = torch.zeros_like(image_embeds[:, :1, 0], dtype=input_ids.dtype)
        input_ids = input_ids + rows
        attention_mask = attention_mask + rows.to(attention_mask.dtype)
        image_atts = torch.ones(image_embeds.shape[:-1], dtype=torch.long, device=image_embeds.device)
        hidden = self.text_encoder(input_ids, attention_mask, image_embeds, image_atts)
        rewards = self.mlp(hidden[:, 0, :])
        return ((rewards - self.mean) / self.std).squeeze(-1)


class Adapter(nn.Module):
    """Registers an upstream ``model`` as a submodule and calls ``fn(model, *inputs)``: turns a method such as
    ``CLIPModel.get_image_features`` into a module the wrappers above can hold (and torch.onnx.export can trace)."""

    def __init__(self, model, fn):
        super().__init__()
        self.model = model
        self.fn = fn

    def forward(self, *inputs):
        return self.fn(self.model, *inputs)

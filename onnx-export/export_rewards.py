#!/usr/bin/env python3
"""Export a reward model into an OrtDiffusion reward folder: reward.json, model.onnx (+ model.onnx_data),
text_model.onnx for two-tower rewards, and the tokenizer files.

kinds
  clip          CLIP ViT-L/14 (openai/clip-vit-large-patch14): cosine of L2-normalised image and prompt features.
  aesthetic     LAION aesthetic predictor v2: the MLP sac+logos+ava1-l14-linearMSE.pth (768-1024-128-64-16-1, no
                activations) on L2-normalised CLIP ViT-L/14 image features. Weights: the improved-aesthetic-predictor
                repository (christophschuhmann), downloaded from --aesthetic-weights.
  image_reward  ImageReward v1.0 (ImageReward package, RM.load("ImageReward-v1.0")): BLIP ViT-L + BLIP BERT text
                encoder + MLP, with the normalisation (r - 0.16717362830052426) / 1.0333394966054072 in the graph.
  hpsv2         HPSv2 (hpsv2 package: open_clip ViT-H-14 + HPS_v2_compressed.pt from xswu/HPSv2): cosine of
                L2-normalised image and prompt features.

model.onnx takes `images` float32 [batch_size, 3, height, width], RGB in [0, 1], any size, and does the
preprocessing itself (shorter side to 224, bilinear, centre crop 224, CLIP mean/std), so OrtDiffusion
differentiates it too. It returns `score` float32 [batch_size], higher is better.
  clip, hpsv2:   + `text_embeds` [text_batch, D] (1 row or one per image) from text_model.onnx:
                 `input_ids` int64 [batch_size, 77] -> `text_embeds` [batch_size, D], unit norm (CLIP BPE tokens).
  image_reward:  + `input_ids`, `attention_mask` int64 [text_batch, 35] (BERT WordPiece tokens, padded to 35).
  aesthetic:     images only.

checks (a failed one prints CHECK FAILED and exits with status 1)
  - model.onnx and text_model.onnx in ONNX Runtime against the torch wrapper on the same inputs, at two image
    sizes (512x640 with one prompt row, 768x512 with one row per image): |onnx - torch| <= 2e-3 + 1e-3 |torch|
    for scores, 1e-4 + 1e-3 |torch| for text_embeds;
  - the torch wrapper against the upstream package's own scoring path (its own PIL preprocessing: bicubic with
    antialias) on the same smooth test image: |diff| <= 0.02 for cosines, 0.05 for aesthetic and ImageReward --
    this catches wiring errors (channels, normalisation, crop), not resampling differences;
  - image_reward: the wrapper against ImageReward.score_gard on the same preprocessed pixels (<= 1e-4);
  - hpsv2: the copied CLIP tokenizer gives open_clip's token ids for test prompts.

example
  python onnx-export/export_rewards.py --kind clip --out models/rewards/clip
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import export_common as common  # noqa: E402  (argparse-only at import time)

KINDS = ("clip", "aesthetic", "image_reward", "hpsv2")
CLIP_MODEL = "openai/clip-vit-large-patch14"
# improved-aesthetic-predictor's linear-MSE head on CLIP ViT-L/14 (the URL ImageReward's utils.py lists as "Aesthetic").
AESTHETIC_URL = ("https://github.com/christophschuhmann/improved-aesthetic-predictor/raw/main/"
                 "sac%2Blogos%2Bava1-l14-linearMSE.pth")
AESTHETIC_FILE = "sac+logos+ava1-l14-linearMSE.pth"
HPS_REPO = "xswu/HPSv2"
PROMPT = "a photo of an astronaut riding a horse on the moon"
CLIP_LENGTH = 77
CLIP_TOKENIZER_FILES = ["vocab.json", "merges.txt"]
IMAGE_REWARD_LENGTH = 35  # ImageReward.score: tokenizer(..., padding="max_length", truncation=True, max_length=35)


def build_parser():
    p = common.parser(__doc__, fp16=False)
    p.add_argument("--kind", required=True, choices=KINDS, help="which reward to export")
    p.add_argument("--clip-model", default=CLIP_MODEL,
                   help=f"CLIP model for clip/aesthetic, and the CLIP BPE tokenizer files for hpsv2 (default {CLIP_MODEL})")
    p.add_argument("--aesthetic-weights", default=AESTHETIC_URL,
                   help=f"path or URL of {AESTHETIC_FILE} (default: the improved-aesthetic-predictor repository)")
    p.add_argument("--image-reward-checkpoint", default="ImageReward-v1.0",
                   help="name or checkpoint path passed to ImageReward.load (default ImageReward-v1.0)")
    p.add_argument("--hps-version", choices=("v2.0", "v2.1"), default="v2.0",
                   help="HPS checkpoint: v2.0 = HPS_v2_compressed.pt (default), v2.1 = HPS_v2.1_compressed.pt")
    p.add_argument("--hps-checkpoint", help="local HPS checkpoint file instead of downloading it from xswu/HPSv2")
    p.add_argument("--resize", choices=("bilinear", "bicubic"), default="bilinear",
                   help="interpolation of the in-graph resize (default bilinear)")
    p.add_argument("--prompt", default=PROMPT, help="prompt used by the checks")
    return p


class Reward:
    """What one kind contributes: the torch modules, the check inputs, the tokenizer and the manifest fields."""

    def __init__(self, image_model, text_inputs, manifest, save_tokenizer, upstream_scores, upstream_tolerance,
                 text_model=None, tokenize_saved=None, tokenizer_files=(), extra_checks=()):
        self.image_model = image_model          # (images, *text_inputs) -> score
        self.text_inputs = text_inputs          # [(name, tensor, dynamic axes)] of model.onnx besides images
        self.text_model = text_model            # input_ids -> text_embeds, or None
        self.manifest = manifest                # kind-specific reward.json fields
        self.save_tokenizer = save_tokenizer    # folder -> None, or None
        self.tokenize_saved = tokenize_saved    # (tokenizer folder, prompts) -> input_ids for text_model, or None
        self.tokenizer_files = list(tokenizer_files)  # what save_tokenizer must have written, relative to the folder
        self.upstream_scores = upstream_scores  # (images in [0, 1]) -> upstream scores [B], or None
        self.upstream_tolerance = upstream_tolerance
        self.extra_checks = extra_checks        # callables run after the exports


# --- the four kinds ----------------------------------------------------------------------------------------------

def clip_tower(args, device):
    from transformers import CLIPImageProcessor, CLIPModel, CLIPTokenizer

    model = CLIPModel.from_pretrained(args.clip_model).to(device).eval()
    tokenizer = CLIPTokenizer.from_pretrained(args.clip_model)
    processor = CLIPImageProcessor.from_pretrained(args.clip_model)
    return model, tokenizer, processor


def saved_clip_ids(folder, prompts, device):
    """Token ids from the tokenizer files written into the reward folder (so the check covers those files)."""
    from transformers import CLIPTokenizer

    return clip_ids(CLIPTokenizer.from_pretrained(str(folder)), prompts, device)


def clip_ids(tokenizer, prompts, device):
    return tokenizer(prompts, padding="max_length", max_length=CLIP_LENGTH, truncation=True,
                     return_tensors="pt").input_ids.to(device)


def build_clip(args, device):
    import torch
    from reward_modules import Adapter, CosineScore, NormalisedText, ResizeCropNormalize

    model, tokenizer, processor = clip_tower(args, device)
    size = model.config.vision_config.image_size
    image_features = Adapter(model, lambda m, pixels: m.get_image_features(pixel_values=pixels))
    text_features = Adapter(model, lambda m, ids: m.get_text_features(input_ids=ids))
    image_model = CosineScore(image_features, ResizeCropNormalize(size, args.resize)).eval()
    text_model = NormalisedText(text_features).eval()

    def upstream(images):
        # transformers' CLIPModel.forward scores: normalised image and text embeddings, cosine (no logit scale).
        pixels = processor(images=common.to_pil(images), return_tensors="pt").pixel_values.to(device)
        with torch.no_grad():
            i = model.get_image_features(pixel_values=pixels)
            t = model.get_text_features(input_ids=clip_ids(tokenizer, [args.prompt], device))
        return torch.nn.functional.cosine_similarity(i, t, dim=-1)

    return Reward(
        image_model=image_model,
        text_inputs=[("text_embeds", None, {0: "text_batch"})],
        text_model=text_model,
        manifest=two_tower_manifest("clip", size, args, {"model": args.clip_model}),
        save_tokenizer=lambda folder: tokenizer.save_pretrained(str(folder)),
        tokenize_saved=lambda folder, prompts: saved_clip_ids(folder, prompts, device),
        tokenizer_files=CLIP_TOKENIZER_FILES,
        upstream_scores=upstream,
        upstream_tolerance=0.02,
    )


def build_aesthetic(args, device):
    import torch
    from reward_modules import Adapter, AestheticMlp, AestheticScore, ResizeCropNormalize, l2_normalise

    model, _, processor = clip_tower(args, device)
    size = model.config.vision_config.image_size
    mlp = AestheticMlp(model.config.projection_dim)
    if str(args.aesthetic_weights).startswith(("http://", "https://")):
        state = torch.hub.load_state_dict_from_url(args.aesthetic_weights, map_location="cpu", file_name=AESTHETIC_FILE)
    else:
        state = torch.load(args.aesthetic_weights, map_location="cpu")
    mlp.load_state_dict(state)  # strict: the keys must be layers.0/2/4/6/7.{weight,bias}
    mlp = mlp.to(device).eval()
    image_features = Adapter(model, lambda m, pixels: m.get_image_features(pixel_values=pixels))
    image_model = AestheticScore(image_features, ResizeCropNormalize(size, args.resize), mlp).eval()

    def upstream(images):
        # improved-aesthetic-predictor simple_inference.py: CLIP preprocess, encode_image, L2-normalise, MLP.
        pixels = processor(images=common.to_pil(images), return_tensors="pt").pixel_values.to(device)
        with torch.no_grad():
            return mlp(l2_normalise(model.get_image_features(pixel_values=pixels))).squeeze(-1)

    return Reward(
        image_model=image_model,
        text_inputs=[],
        manifest={"kind": "aesthetic", "text_inputs": [], "text_model": None, "tokenizer": None,
                  "preprocessing": preprocessing(size, args),
                  "source": {"clip_model": args.clip_model, "head": str(args.aesthetic_weights)}},
        save_tokenizer=None,
        upstream_scores=upstream,
        upstream_tolerance=0.05,
    )


def build_image_reward(args, device):
    import torch
    from reward_modules import Adapter, ImageRewardScore, ResizeCropNormalize

    image_reward = common.require("ImageReward")
    model = image_reward.load(args.image_reward_checkpoint, device=device).eval()
    size = 224  # ImageReward.__init__: BLIP_Pretrain(image_size=224, vit='large')
    visual = Adapter(model.blip, lambda blip, pixels: blip.visual_encoder(pixels))
    text = Adapter(model.blip, lambda blip, ids, mask, image_embeds, image_atts: blip.text_encoder(
        ids, attention_mask=mask, encoder_hidden_states=image_embeds, encoder_attention_mask=image_atts,
        return_dict=True).last_hidden_state)
    preprocess = ResizeCropNormalize(size, args.resize)
    image_model = ImageRewardScore(visual, text, model.mlp, preprocess, model.mean, model.std).eval()
    tokens = model.blip.tokenizer(args.prompt, padding="max_length", truncation=True,
                                  max_length=IMAGE_REWARD_LENGTH, return_tensors="pt")
    ids, mask = tokens.input_ids.to(device), tokens.attention_mask.to(device)

    def upstream(images):
        # ImageReward.score(prompt, PIL image): its own tokenizer call and PIL preprocessing (bicubic).
        return torch.tensor([model.score(args.prompt, pil) for pil in common.to_pil(images)], device=device)

    def same_as_score_gard():
        images = common.smooth_images(2, 300, 420, seed=7).to(device)
        with torch.no_grad():
            want = model.score_gard(ids.expand(2, -1), mask.expand(2, -1), preprocess(images)).squeeze(-1)
            got = image_model(images, ids, mask)
        common.compare("wrapper vs ImageReward.score_gard", got.cpu().numpy(), want, atol=1e-4, rtol=1e-4)

    return Reward(
        image_model=image_model,
        text_inputs=[("input_ids", ids, {0: "text_batch", 1: "sequence_length"}),
                     ("attention_mask", mask, {0: "text_batch", 1: "sequence_length"})],
        manifest={
            "kind": "image_reward",
            "description": "ImageReward v1.0; the graph already applies the package's normalisation "
                           f"(r - {model.mean!r}) / {model.std!r}, so score equals ImageReward.score",
            "text_inputs": [{"name": "input_ids", "kind": "input_ids"},
                            {"name": "attention_mask", "kind": "attention_mask"}],
            "text_model": None,
            "tokenizer": {"kind": "bert_wordpiece", "folder": "tokenizer", "max_length": IMAGE_REWARD_LENGTH},
            "preprocessing": preprocessing(size, args),
            "source": {"checkpoint": str(args.image_reward_checkpoint)},
        },
        save_tokenizer=lambda folder: model.blip.tokenizer.save_pretrained(str(folder)),
        tokenizer_files=["vocab.txt"],
        upstream_scores=upstream,
        upstream_tolerance=0.05,
        extra_checks=(same_as_score_gard,),
    )


def build_hpsv2(args, device):
    import torch
    from reward_modules import Adapter, CosineScore, NormalisedText, ResizeCropNormalize

    common.require("hpsv2")
    from hpsv2.src.open_clip import create_model_and_transforms, get_tokenizer
    from hpsv2.utils import hps_version_map
    from huggingface_hub import hf_hub_download
    from transformers import CLIPTokenizer

    # hpsv2.img_score.initialize_model, without the base laion2B weights (the HPS checkpoint replaces all of them)
    # and in float32 instead of autocast.
    model, _, preprocess_val = create_model_and_transforms(
        "ViT-H-14", None, precision="fp32", device=device, jit=False, force_quick_gelu=False,
        force_custom_text=False, force_patch_dropout=False, force_image_size=None, pretrained_image=False,
        image_mean=None, image_std=None, light_augmentation=True, aug_cfg={}, output_dict=True,
        with_score_predictor=False, with_region_predictor=False)
    checkpoint = args.hps_checkpoint or hf_hub_download(HPS_REPO, hps_version_map[args.hps_version])
    model.load_state_dict(torch.load(checkpoint, map_location=device)["state_dict"])  # strict: every weight
    model = model.to(device).eval()
    open_clip_tokenizer = get_tokenizer("ViT-H-14")
    hf_tokenizer = CLIPTokenizer.from_pretrained(args.clip_model)  # the same BPE vocabulary as open_clip's
    size = model.visual.image_size[0] if isinstance(model.visual.image_size, tuple) else model.visual.image_size
    image_features = Adapter(model, lambda m, pixels: m.encode_image(pixels))
    text_features = Adapter(model, lambda m, ids: m.encode_text(ids))
    image_model = CosineScore(image_features, ResizeCropNormalize(size, args.resize)).eval()
    text_model = NormalisedText(text_features).eval()

    def upstream(images):
        # hpsv2.img_score.score: preprocess_val, model(image, text), diagonal of image_features @ text_features.T.
        pixels = torch.stack([preprocess_val(pil) for pil in common.to_pil(images)]).to(device)
        with torch.no_grad():
            out = model(pixels, open_clip_tokenizer([args.prompt]).to(device))
        return (out["image_features"] @ out["text_features"].T)[:, 0]

    def same_tokens():
        prompts = [args.prompt, "A Cat, sitting on a sofa!", "an oil painting of a lighthouse in a storm, 4k"]
        ours = clip_ids(hf_tokenizer, prompts, "cpu")
        theirs = open_clip_tokenizer(prompts)
        eos = hf_tokenizer.eos_token_id
        for prompt, a, b in zip(prompts, ours.tolist(), theirs.tolist()):
            end = a.index(eos) + 1  # open_clip pads with 0, transformers with <|endoftext|>
            if a[:end] != b[:end]:
                raise common.CheckFailed(f"tokenizer: {prompt!r} -> {a[:end]} (copied CLIP BPE) vs {b[:end]} (open_clip)")
        common.log(f"  ok  copied CLIP BPE tokenizer gives open_clip's ids for {len(prompts)} prompts")
        # The padding after EOS differs; the causal tower and its EOS (argmax) pooling must not see it.
        with torch.no_grad():
            a, b = model.encode_text(ours.to(device)), model.encode_text(theirs.to(device))
        common.compare("encode_text, transformers padding vs open_clip padding", a.cpu().numpy(), b, atol=1e-5, rtol=1e-5)

    return Reward(
        image_model=image_model,
        text_inputs=[("text_embeds", None, {0: "text_batch"})],
        text_model=text_model,
        manifest=two_tower_manifest("hpsv2", size, args, {
            "model": "open_clip ViT-H-14", "checkpoint": str(args.hps_checkpoint or f"{HPS_REPO}/{hps_version_map[args.hps_version]}"),
            "tokenizer_from": args.clip_model}),
        save_tokenizer=lambda folder: hf_tokenizer.save_pretrained(str(folder)),
        tokenize_saved=lambda folder, prompts: saved_clip_ids(folder, prompts, device),
        tokenizer_files=CLIP_TOKENIZER_FILES,
        upstream_scores=upstream,
        upstream_tolerance=0.02,
        extra_checks=(same_tokens,),
    )


BUILDERS = {"clip": build_clip, "aesthetic": build_aesthetic, "image_reward": build_image_reward, "hpsv2": build_hpsv2}


def preprocessing(size, args):
    from reward_modules import CLIP_MEAN, CLIP_STD

    return {"in_graph": True, "input_range": [0, 1], "resize": args.resize, "image_size": size, "crop": "center",
            "mean": list(CLIP_MEAN), "std": list(CLIP_STD)}


def two_tower_manifest(kind, size, args, source):
    return {
        "kind": kind,
        "text_inputs": [{"name": "text_embeds", "kind": "text_embeds"}],
        "text_model": {"model": "text_model.onnx", "input_ids": "input_ids", "attention_mask": None,
                       "output": "text_embeds"},
        "tokenizer": {"kind": "clip_bpe", "folder": "tokenizer", "max_length": CLIP_LENGTH},
        "preprocessing": preprocessing(size, args),
        "source": source,
    }


# --- export and check --------------------------------------------------------------------------------------------

def run(args):
    import torch

    device = args.device
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    common.log(f"building the {args.kind} reward on {device}")
    reward = BUILDERS[args.kind](args, device)
    external = not args.no_external_data
    files = ["reward.json", "model.onnx"]
    if reward.save_tokenizer is not None:
        reward.save_tokenizer(out / "tokenizer")
        files += [f"tokenizer/{name}" for name in reward.tokenizer_files]
        common.require_files(out, files[2:])

    text_embeds = None
    if reward.text_model is not None:
        files.append("text_model.onnx")
        ids = reward.tokenize_saved(out / "tokenizer", [args.prompt, ""])
        with torch.no_grad():
            want_text = reward.text_model(ids)
        common.log("exporting text_model.onnx")
        common.export_onnx(reward.text_model, (ids,), out / "text_model.onnx", ["input_ids"], ["text_embeds"],
                           {"input_ids": {0: "batch_size"}, "text_embeds": {0: "batch_size"}}, args.opset, external)
        session = common.ort_session(out / "text_model.onnx", device)
        got = common.run_ort(session, {"input_ids": ids})["text_embeds"]
        common.compare("text_model.onnx text_embeds", got, want_text, atol=1e-4, rtol=1e-3)
        text_embeds = torch.from_numpy(got[:1]).to(device)  # the prompt's row, as the library feeds it

    def text_feeds(batch):
        feeds = []
        for name, value, _ in reward.text_inputs:
            value = text_embeds if name == "text_embeds" else value
            feeds.append(value.expand(batch, -1) if batch > 1 else value)
        return feeds

    images = common.smooth_images(2, 512, 640, seed=1).to(device)
    with torch.no_grad():
        want = reward.image_model(images, *text_feeds(1))
    names = ["images"] + [name for name, _, _ in reward.text_inputs]
    axes = {"images": {0: "batch_size", 2: "height", 3: "width"}, "score": {0: "batch_size"}}
    axes.update({name: dims for name, _, dims in reward.text_inputs})
    common.log("exporting model.onnx")
    common.export_onnx(reward.image_model, [images] + text_feeds(1), out / "model.onnx", names, ["score"], axes,
                       args.opset, external)
    session = common.ort_session(out / "model.onnx", device)
    got = common.run_ort(session, dict(zip(names, [images] + text_feeds(1))))["score"]
    common.compare("model.onnx score, 2 x 512x640, one prompt row", got, want, atol=2e-3, rtol=1e-3)

    other = common.smooth_images(3, 768, 512, seed=2).to(device)
    with torch.no_grad():
        want_other = reward.image_model(other, *text_feeds(3))
    got_other = common.run_ort(session, dict(zip(names, [other] + text_feeds(3))))["score"]
    common.compare("model.onnx score, 3 x 768x512, a prompt row per image", got_other, want_other, atol=2e-3, rtol=1e-3)
    common.check_differentiable(args.ortdiff, out / "model.onnx", "score", ["images"])

    upstream = reward.upstream_scores(images)
    common.compare("torch wrapper vs upstream scoring (own PIL preprocessing)", want.cpu().numpy(), upstream,
                   atol=reward.upstream_tolerance, rtol=0)
    for check in reward.extra_checks:
        check()

    common.write_json(out / "reward.json", manifest(reward, args))
    common.require_files(out, files)
    for model_file in [f for f in files if f.endswith(".onnx")]:
        common.log(f"  {model_file}: external data {common.external_data_files(out / model_file) or 'none'}")
    common.log(f"done: {out} (point ortdiff at it with --reward {out})")


def manifest(reward, args):
    import torch

    body = {"format_version": 1, "model": "model.onnx", "image_input": "images", "output": "score"}
    body.update(reward.manifest)
    body["source"] = dict(body.get("source", {}), exporter="onnx-export/export_rewards.py", torch=torch.__version__,
                          opset=args.opset, resize=args.resize)
    order = ["format_version", "kind", "description", "model", "image_input", "text_inputs", "output", "text_model",
             "tokenizer", "preprocessing", "source"]
    return {k: body[k] for k in order if k in body}


def main(argv=None):
    args = build_parser().parse_args(argv)
    common.main_guard(lambda: run(args))


if __name__ == "__main__":
    main()

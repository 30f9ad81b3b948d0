#!/usr/bin/env python3
"""Export PixArt-alpha (PixArt-alpha/PixArt-XL-2-512x512 or PixArt-alpha/PixArt-XL-2-1024-MS) into OrtDiffusion's
PixArt folder layout, checking every network against diffusers / transformers in ONNX Runtime.

It writes
  model_index.json, scheduler/scheduler_config.json    copied from the model repository
  tokenizer/spiece.model (+ tokenizer_config.json, special_tokens_map.json)    T5 SentencePiece
  text_encoder/model.onnx + model.onnx_data   T5-v1.1-XXL encoder: input_ids, attention_mask int64
                            [batch_size, sequence_length] -> last_hidden_state [batch_size, sequence_length, 4096]
                            (the pipeline pads prompts to 120 tokens)
  transformer/model.onnx + model.onnx_data    hidden_states [batch_size, 4, height, width], timestep int64
                            [batch_size], encoder_hidden_states [batch_size, sequence_length, 4096],
                            encoder_attention_mask int64 [batch_size, sequence_length]
                            (+ resolution [batch_size, 2] (height, width in pixels) and aspect_ratio
                            [batch_size, 1] (height / width) for the 1024-px model) -> out_sample
                            [batch_size, 8, height, width] (noise prediction, then the learned variance: CFG
                            first, then keep the first 4 channels)
  vae_decoder/model.onnx    latent_sample -> sample;   vae_encoder/model.onnx   sample -> latent_parameters
  */config.json             the diffusers / transformers configs of each network

Height and width stay symbolic: diffusers computes the transformer's position table with numpy for any size
but the default one (a trace would freeze it), so the export swaps PatchEmbed for a module that computes the
same table from the traced size (pixart_modules.TracedPatchEmbed), and checks the ONNX model against the
unmodified diffusers model at the default size and at a smaller non-square size.

checks (a failed one prints CHECK FAILED and exits with status 1)
  ONNX Runtime against the torch module on the same inputs, two shapes per network:
  |onnx - torch| <= atol + rtol |torch|, float32: text encoder 1e-3 + 1e-3, transformer 3e-3 + 3e-3,
  VAE 2e-3 + 1e-3; float16: 5e-2 + 5e-2. The patched position table against diffusers' own: 1e-4 (fp16 1e-2).

needs (float32 / float16)
  disk: hub download 23 GB (T5 fp32 19 GB, transformer 2.4 GB, VAE 0.3 GB); output 22 GB / 11 GB; scratch
        space for the largest network again while it is written (the export goes through a temporary folder).
  RAM:  the T5 export holds the model and torch's serialised copy (about 2 x 19 GB): 64 GB recommended for
        fp32, 32 GB for fp16; the other networks need under 16 GB. (Estimates from the parameter counts.)
  --fp16 needs a CUDA GPU (24 GB for T5 in fp16) and onnxruntime-gpu.

examples
  python onnx-export/export_pixart.py --model PixArt-alpha/PixArt-XL-2-512x512 --out models/pixart-512
  python onnx-export/export_pixart.py --model PixArt-alpha/PixArt-XL-2-1024-MS --out models/pixart-1024 \\
      --device cuda --fp16 --keep-fp32 vae_decoder,vae_encoder
  both repositories share the T5 encoder: --components transformer,vae_decoder,vae_encoder exports the rest, and
  text_encoder/ can be copied (or hard-linked) from the other folder.
"""
import gc
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import export_common as common  # noqa: E402  (argparse-only at import time)

DEFAULT_MODEL = "PixArt-alpha/PixArt-XL-2-512x512"
COMPONENTS = ("text_encoder", "transformer", "vae_decoder", "vae_encoder")
PROMPT = "a small cactus with a happy face in the Sahara desert"
MAX_SEQUENCE_LENGTH = 120  # PixArtAlphaPipeline.__call__(max_sequence_length=120)


def build_parser():
    p = common.parser(__doc__, fp16=True)
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"hub id or local diffusers folder (default {DEFAULT_MODEL})")
    p.add_argument("--components", default=",".join(COMPONENTS),
                   help=f"comma-separated subset of {','.join(COMPONENTS)} (default: all)")
    p.add_argument("--keep-fp32", default="",
                   help="with --fp16: comma-separated components to keep in float32 (e.g. text_encoder if the fp16 T5 "
                        "check fails, vae_decoder,vae_encoder if the fp16 VAE overflows)")
    p.add_argument("--max-sequence-length", type=int, default=MAX_SEQUENCE_LENGTH,
                   help=f"prompt length the checks pad to (default {MAX_SEQUENCE_LENGTH}, the pipeline's)")
    return p


def parse_components(text, what):
    chosen = [c for c in text.split(",") if c]
    unknown = sorted(set(chosen) - set(COMPONENTS))
    if unknown:
        sys.exit(f"error: {what}: unknown component(s) {unknown}; choose from {list(COMPONENTS)}")
    return chosen


class Context:
    def __init__(self, args):
        import torch

        self.args = args
        self.out = args.out
        self.device = args.device
        self.keep_fp32 = set(parse_components(args.keep_fp32, "--keep-fp32"))
        self.external = not args.no_external_data
        self.generator = torch.Generator().manual_seed(0)

    def dtype(self, component):
        import torch

        return torch.float16 if self.args.fp16 and component not in self.keep_fp32 else torch.float32

    def tolerance(self, component, fp32):
        import torch

        return (5e-2, 5e-2) if self.dtype(component) == torch.float16 else fp32

    def randn(self, *shape, dtype, scale=1.0):
        import torch

        return (torch.randn(*shape, generator=self.generator) * scale).to(self.device, dtype)


def resolve_file(model, relative):
    """A file of the model repository: from a local folder, or downloaded from the hub."""
    local = Path(model) / relative
    if local.is_file():
        return local
    from huggingface_hub import hf_hub_download

    return Path(hf_hub_download(repo_id=model, filename=relative))


def free(*_):
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def export_text_encoder(ctx, tokenizer):
    import torch
    from pixart_modules import T5EncoderForExport

    transformers = common.require("transformers")
    dtype = ctx.dtype("text_encoder")
    common.log(f"text_encoder: loading T5 ({dtype})")
    model = transformers.T5EncoderModel.from_pretrained(ctx.args.model, subfolder="text_encoder", torch_dtype=dtype)
    module = T5EncoderForExport(model.to(ctx.device).eval())

    def tokens(prompts, length):
        t = tokenizer(prompts, padding="max_length", max_length=length, truncation=True, add_special_tokens=True,
                      return_tensors="pt")
        return t.input_ids.to(ctx.device), t.attention_mask.to(ctx.device)

    cases = [tokens([PROMPT, ""], ctx.args.max_sequence_length), tokens([PROMPT], 77)]
    with torch.no_grad():
        wants = [module(ids, mask) for ids, mask in cases]
    path = ctx.out / "text_encoder" / "model.onnx"
    common.log("text_encoder: exporting (T5-XXL: this takes a while and much memory)")
    dims = {0: "batch_size", 1: "sequence_length"}
    common.export_onnx(module, cases[0], path, ["input_ids", "attention_mask"], ["last_hidden_state"],
                       {"input_ids": dims, "attention_mask": dims, "last_hidden_state": dims}, ctx.args.opset, ctx.external)
    model.config.save_pretrained(str(path.parent))
    del module, model
    free()
    session = common.ort_session(path, ctx.device)
    for (ids, mask), want in zip(cases, wants):
        got = common.run_ort(session, {"input_ids": ids, "attention_mask": mask})["last_hidden_state"]
        common.compare(f"text_encoder last_hidden_state, tokens {tuple(ids.shape)}", got, want,
                       *ctx.tolerance("text_encoder", (1e-3, 1e-3)))


def export_transformer(ctx, _tokenizer):
    import torch
    from pixart_modules import PixArtTransformerForExport, TracedPatchEmbed

    diffusers = common.require("diffusers")
    dtype = ctx.dtype("transformer")
    common.log(f"transformer: loading ({dtype})")
    transformer = diffusers.PixArtTransformer2DModel.from_pretrained(ctx.args.model, subfolder="transformer",
                                                                     torch_dtype=dtype).to(ctx.device).eval()
    config = transformer.config
    with_size = bool(transformer.use_additional_conditions)
    module = PixArtTransformerForExport(transformer, with_size)
    names = ["hidden_states", "timestep", "encoder_hidden_states", "encoder_attention_mask"]
    if with_size:
        names += ["resolution", "aspect_ratio"]

    def case(batch, height, width, length):
        mask = torch.ones(batch, length, dtype=torch.int64)
        for b in range(1, batch):
            mask[b, 5 + 7 * b:] = 0  # later rows: short prompts, as padded T5 tokens are masked
        values = [
            ctx.randn(batch, config.in_channels, height, width, dtype=dtype),
            torch.tensor([999, 500, 21][:batch] + [0] * max(0, batch - 3), dtype=torch.int64, device=ctx.device),
            ctx.randn(batch, length, config.caption_channels, dtype=dtype, scale=0.15),
            mask.to(ctx.device),
        ]
        if with_size:
            pixels = [8 * height, 8 * width]  # PixArtAlphaPipeline: resolution (height, width), aspect ratio h / w
            values.append(torch.tensor([pixels] * batch, dtype=dtype, device=ctx.device))
            values.append(torch.tensor([[pixels[0] / pixels[1]]] * batch, dtype=dtype, device=ctx.device))
        return values

    s = config.sample_size
    cases = [case(2, s, s, ctx.args.max_sequence_length), case(2, s // 2, 3 * s // 4, 77)]
    with torch.no_grad():
        wants = [module(*values) for values in cases]  # diffusers' own position table
        transformer.pos_embed = TracedPatchEmbed(transformer.pos_embed)
        patched = module(*cases[1])
    common.compare("torch transformer with the traced position table vs diffusers' (non-default size)",
                   patched.float().cpu().numpy(), wants[1], *ctx.tolerance("transformer", (1e-4, 1e-4)))
    path = ctx.out / "transformer" / "model.onnx"
    common.log("transformer: exporting")
    axes = {
        "hidden_states": {0: "batch_size", 2: "height", 3: "width"},
        "timestep": {0: "batch_size"},
        "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
        "encoder_attention_mask": {0: "batch_size", 1: "sequence_length"},
        "resolution": {0: "batch_size"},
        "aspect_ratio": {0: "batch_size"},
        "out_sample": {0: "batch_size", 2: "height", 3: "width"},
    }
    common.export_onnx(module, cases[0], path, names, ["out_sample"],
                       {k: v for k, v in axes.items() if k in names or k == "out_sample"}, ctx.args.opset, ctx.external)
    transformer.save_config(str(path.parent))
    del module, transformer
    free()
    session = common.ort_session(path, ctx.device)
    for values, want in zip(cases, wants):
        got = common.run_ort(session, dict(zip(names, values)))["out_sample"]
        common.compare(f"transformer out_sample, hidden_states {tuple(values[0].shape)}", got, want,
                       *ctx.tolerance("transformer", (3e-3, 3e-3)))


def export_vae(ctx, component):
    import torch
    from pixart_modules import VaeDecoderForExport, VaeEncoderForExport

    diffusers = common.require("diffusers")
    dtype = ctx.dtype(component)
    vae = diffusers.AutoencoderKL.from_pretrained(ctx.args.model, subfolder="vae", torch_dtype=dtype).to(ctx.device).eval()
    if component == "vae_decoder":
        module, names = VaeDecoderForExport(vae), (["latent_sample"], ["sample"])
        axes = {"latent_sample": {0: "batch_size", 2: "height_latent", 3: "width_latent"},
                "sample": {0: "batch_size", 2: "height", 3: "width"}}
        cases = [ctx.randn(*shape, dtype=dtype, scale=1 / vae.config.scaling_factor)
                 for shape in ((1, 4, 64, 64), (2, 4, 40, 56))]
    else:
        module, names = VaeEncoderForExport(vae), (["sample"], ["latent_parameters"])
        axes = {"sample": {0: "batch_size", 2: "height", 3: "width"},
                "latent_parameters": {0: "batch_size", 2: "height_latent", 3: "width_latent"}}
        cases = [(common.smooth_images(1, h, w, seed=3) * 2 - 1).to(ctx.device, dtype) for h, w in ((512, 512), (384, 640))]
    with torch.no_grad():
        wants = [module(x) for x in cases]
    path = ctx.out / component / "model.onnx"
    common.log(f"{component}: exporting")
    common.export_onnx(module, (cases[0],), path, names[0], names[1], axes, ctx.args.opset, ctx.external)
    vae.save_config(str(path.parent))
    del module, vae
    free()
    session = common.ort_session(path, ctx.device)
    for x, want in zip(cases, wants):
        got = common.run_ort(session, {names[0][0]: x})[names[1][0]]
        common.compare(f"{component} {names[1][0]}, input {tuple(x.shape)}", got, want,
                       *ctx.tolerance(component, (2e-3, 1e-3)))


EXPORTERS = {
    "text_encoder": export_text_encoder,
    "transformer": export_transformer,
    "vae_decoder": lambda ctx, _: export_vae(ctx, "vae_decoder"),
    "vae_encoder": lambda ctx, _: export_vae(ctx, "vae_encoder"),
}


def run(args):
    common.check_fp16_args(args)
    components = parse_components(args.components, "--components")
    ctx = Context(args)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    for relative in ("model_index.json", "scheduler/scheduler_config.json"):
        common.copy_file(resolve_file(args.model, relative), out / relative)
    transformers = common.require("transformers")
    tokenizer = transformers.T5Tokenizer.from_pretrained(args.model, subfolder="tokenizer")
    tokenizer.save_pretrained(str(out / "tokenizer"))
    for component in components:
        EXPORTERS[component](ctx, tokenizer)
    common.require_files(out, ["model_index.json", "scheduler/scheduler_config.json", "tokenizer/spiece.model"]
                         + [f"{c}/model.onnx" for c in components])
    if "transformer" in components:
        common.check_differentiable(args.ortdiff, out / "transformer" / "model.onnx", "out_sample",
                                    ["hidden_states", "encoder_hidden_states"])
    if "vae_decoder" in components:
        common.check_differentiable(args.ortdiff, out / "vae_decoder" / "model.onnx", "sample", ["latent_sample"])
    for component in components:
        common.log(f"  {component}/model.onnx: external data "
                   f"{common.external_data_files(out / component / 'model.onnx') or 'none'}")
    common.log(f"done: {out} (point ortdiff at it with --model {out})")


def main(argv=None):
    args = build_parser().parse_args(argv)
    common.main_guard(lambda: run(args))


if __name__ == "__main__":
    main()

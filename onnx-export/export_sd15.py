#!/usr/bin/env python3
"""Export Stable Diffusion v1.5 into the folder layout Hugging Face Optimum writes (and OrtDiffusion reads), with
Optimum's own exporter, then check every component against diffusers.

The export step is exactly Optimum's command line
  optimum-cli export onnx --model stable-diffusion-v1-5/stable-diffusion-v1-5 --task text-to-image --opset 17 DIR
  (float16: add --dtype fp16 --device cuda; Optimum before 1.17 spells it --fp16 --device cuda)
run through its Python entry point optimum.exporters.onnx.main_export (optimum 1.23.3 signature). The original
runwayml/stable-diffusion-v1-5 repository was taken down in 2024; stable-diffusion-v1-5/stable-diffusion-v1-5 is
the maintained mirror with the same files. Any diffusers StableDiffusionPipeline folder or hub id works.

It writes
  model_index.json, scheduler/scheduler_config.json, tokenizer/{vocab.json, merges.txt, ...},
  text_encoder/model.onnx   input_ids int32 [batch_size, sequence_length] -> last_hidden_state, pooler_output
  unet/model.onnx + model.onnx_data (3.4 GB fp32; 1.7 GB fp16 fits inline)
                            sample [batch_size, 4, height, width], timestep int64 [steps], encoder_hidden_states
                            [batch_size, sequence_length, 768] -> out_sample
  vae_decoder/model.onnx    latent_sample [batch_size, 4, height_latent, width_latent] -> sample
  vae_encoder/model.onnx    sample -> latent_parameters [batch_size, 8, ...] (mean, log-variance)

checks (a failed one prints CHECK FAILED and exits with status 1)
  - Optimum's own validation (do_validation=True);
  - the folder holds every file OrtDiffusion reads, and every external data file a model refers to;
  - each component in ONNX Runtime against the diffusers module on the same inputs, at two shapes each (a second
    batch size / latent size exercises the symbolic axes): |onnx - torch| <= atol + rtol |torch| with
    atol = rtol = 1e-3 (text encoder, UNet: 2e-3, VAE: 2e-3) in float32 and 3e-2 (VAE 5e-2) in float16.

needs: about 5.5 GB of downloads and 4.3 GB of output (fp32; 2.2 GB fp16), 16 GB RAM (estimates);
       --fp16 needs a CUDA GPU and onnxruntime-gpu.

example
  python onnx-export/export_sd15.py --out models/sd15
  ortdiff generate --model models/sd15 --prompt "a lighthouse at dusk" --out lighthouse.png
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import export_common as common  # noqa: E402  (argparse-only at import time)

DEFAULT_MODEL = "stable-diffusion-v1-5/stable-diffusion-v1-5"
PROMPT = "a photo of an astronaut riding a horse on the moon"
REQUIRED_FILES = [
    "model_index.json",
    "scheduler/scheduler_config.json",
    "tokenizer/vocab.json",
    "tokenizer/merges.txt",
    "text_encoder/model.onnx",
    "unet/model.onnx",
    "vae_decoder/model.onnx",
    "vae_encoder/model.onnx",
]


def build_parser():
    p = common.parser(__doc__, fp16=True, external_data_option=False)
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"hub id or local diffusers folder (default {DEFAULT_MODEL})")
    p.add_argument("--check-only", action="store_true", help="skip the export; check an existing --out folder")
    return p


def tolerances(fp16):
    if fp16:
        return {"text_encoder": (3e-2, 3e-2), "unet": (3e-2, 3e-2), "vae_decoder": (5e-2, 5e-2), "vae_encoder": (5e-2, 5e-2)}
    return {"text_encoder": (1e-3, 1e-3), "unet": (2e-3, 1e-3), "vae_decoder": (2e-3, 1e-3), "vae_encoder": (2e-3, 1e-3)}


def export(args):
    common.require("optimum.exporters.onnx")
    from optimum.exporters.onnx import main_export

    common.log(f"exporting {args.model} with optimum.exporters.onnx.main_export into {args.out}")
    main_export(
        model_name_or_path=args.model,
        output=args.out,
        task="text-to-image",
        opset=args.opset,
        device=args.device,
        dtype="fp16" if args.fp16 else "fp32",
        do_validation=True,
    )


def check(args):
    import torch

    diffusers = common.require("diffusers")
    out, device = args.out, args.device
    common.require_files(out, REQUIRED_FILES)
    for name in ("text_encoder", "unet", "vae_decoder", "vae_encoder"):
        common.check_model_file(out / name / "model.onnx")
        common.log(f"  {name}/model.onnx: external data {common.external_data_files(out / name / 'model.onnx') or 'none'}")

    dtype = torch.float16 if args.fp16 else torch.float32
    pipe = diffusers.StableDiffusionPipeline.from_pretrained(args.model, torch_dtype=dtype, safety_checker=None,
                                                             requires_safety_checker=False).to(device)
    tol = tolerances(args.fp16)
    g = torch.Generator().manual_seed(0)

    def randn(*shape, scale=1.0):
        return (torch.randn(*shape, generator=g) * scale).to(device, dtype)

    # text encoder: the prompt and the empty prompt, then one prompt alone
    ids = pipe.tokenizer([PROMPT, ""], padding="max_length", max_length=pipe.tokenizer.model_max_length,
                         truncation=True, return_tensors="pt").input_ids.to(device)
    session = common.ort_session(out / "text_encoder" / "model.onnx", device)
    for rows in (slice(0, 2), slice(0, 1)):
        with torch.no_grad():
            want = pipe.text_encoder(ids[rows], return_dict=True)
        got = common.run_ort(session, {"input_ids": ids[rows]})
        for name in ("last_hidden_state", "pooler_output"):
            if name in got:
                common.compare(f"text_encoder {name}, batch {ids[rows].shape[0]}", got[name], getattr(want, name),
                               *tol["text_encoder"])
    with torch.no_grad():
        context = pipe.text_encoder(ids)[0]

    # UNet: the shapes of a guided 512x512 step, then one non-square sample
    session = common.ort_session(out / "unet" / "model.onnx", device)
    cases = [(randn(2, 4, 64, 64), torch.tensor([981, 981]), context),
             (randn(1, 4, 48, 80), torch.tensor([21]), context[:1])]
    for sample, timestep, encoder_hidden_states in cases:
        with torch.no_grad():
            want = pipe.unet(sample, timestep.to(device), encoder_hidden_states=encoder_hidden_states).sample
        got = common.run_ort(session, {"sample": sample, "timestep": timestep,
                                       "encoder_hidden_states": encoder_hidden_states})["out_sample"]
        common.compare(f"unet out_sample, sample {tuple(sample.shape)}", got, want, *tol["unet"])

    # VAE decoder: latents as the pipeline passes them (divided by the scaling factor)
    session = common.ort_session(out / "vae_decoder" / "model.onnx", device)
    for shape in ((1, 4, 64, 64), (2, 4, 40, 56)):
        latent = randn(*shape, scale=1 / pipe.vae.config.scaling_factor)
        with torch.no_grad():
            want = pipe.vae.decode(latent).sample
        got = common.run_ort(session, {"latent_sample": latent})["sample"]
        common.compare(f"vae_decoder sample, latent {shape}", got, want, *tol["vae_decoder"])

    # VAE encoder: images in [-1, 1]; the distribution's parameters, not a random sample
    session = common.ort_session(out / "vae_encoder" / "model.onnx", device)
    outputs = [o.name for o in session.get_outputs()]
    if "latent_parameters" not in outputs:
        raise common.CheckFailed(f"vae_encoder outputs {outputs}; an export with 'latent_parameters' (optimum >= 1.23) "
                                 "is needed: a sampled latent cannot be compared or reproduced")
    for shape in ((1, 3, 512, 512), (1, 3, 384, 640)):
        image = (common.smooth_images(shape[0], shape[2], shape[3], seed=3) * 2 - 1).to(device, dtype)
        with torch.no_grad():
            want = pipe.vae.encode(image).latent_dist.parameters
        got = common.run_ort(session, {"sample": image})["latent_parameters"]
        common.compare(f"vae_encoder latent_parameters, image {shape}", got, want, *tol["vae_encoder"])
    # the gradient paths of DATE and IPGO: reward <- VAE decoder <- UNet (w.r.t. its text conditioning and sample)
    common.check_differentiable(args.ortdiff, out / "vae_decoder" / "model.onnx", "sample", ["latent_sample"])
    common.check_differentiable(args.ortdiff, out / "unet" / "model.onnx", "out_sample",
                                ["sample", "encoder_hidden_states"])
    common.log(f"done: {out} (point ortdiff at it with --model {out})")


def run(args):
    common.check_fp16_args(args)
    if not args.check_only:
        export(args)
    check(args)


def main(argv=None):
    args = build_parser().parse_args(argv)
    common.main_guard(lambda: run(args))


if __name__ == "__main__":
    main()

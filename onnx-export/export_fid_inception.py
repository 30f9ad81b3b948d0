#!/usr/bin/env python3
"""Export the FID reference network -- pytorch-fid's InceptionV3 with the pt_inception-2015-12-05 weights (the
TensorFlow FID Inception ported to PyTorch) -- to ONNX, for `ortdiff eval`.

It writes
  model.onnx (+ model.onnx_data)   images float32 [batch_size, 3, height, width], RGB in [0, 1], any size
                                   -> features float32 [batch_size, 2048] (the pool3 activations)
  fid.json                         what the model is and expects

The graph is pytorch_fid.inception.InceptionV3([3], resize_input=True, normalize_input=True): bilinear resize to
299x299 (F.interpolate, align_corners=False), scaling to [-1, 1], the FID Inception blocks up to the final average
pool; the [B, 2048, 1, 1] output is flattened as pytorch_fid.fid_score.get_activations does (squeeze(3).squeeze(2)).
Weights: FID_WEIGHTS_URL of pytorch_fid.inception (a GitHub release of mseitzer/pytorch-fid), fetched into the
torch hub cache, or --weights FILE.

check (a failed one prints CHECK FAILED and exits with status 1)
  ONNX Runtime against torch on 2 x 512x512 and 1 x 300x400 images: |onnx - torch| <= 1e-3 + 1e-3 |torch|.

example
  python onnx-export/export_fid_inception.py --out models/fid-inception
"""
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import export_common as common  # noqa: E402  (argparse-only at import time)

WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"


def build_parser():
    p = common.parser(__doc__, fp16=False, ortdiff_option=False)  # FID features are never differentiated
    p.add_argument("--weights", type=Path, help=f"local {WEIGHTS_FILE} instead of downloading it")
    return p


def run(args):
    import torch

    common.require("pytorch_fid")
    from pytorch_fid import inception
    from reward_modules import Adapter

    if args.weights is not None:
        # load_state_dict_from_url looks in <torch hub dir>/checkpoints before downloading.
        cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(inception.FID_WEIGHTS_URL).name
        cached.parent.mkdir(parents=True, exist_ok=True)
        if not cached.exists():
            shutil.copyfile(args.weights, cached)
    block = inception.InceptionV3.BLOCK_INDEX_BY_DIM[2048]
    network = inception.InceptionV3([block], resize_input=True, normalize_input=True).to(args.device).eval()
    model = Adapter(network, lambda net, images: net(images)[0].flatten(1)).eval()

    cases = [common.smooth_images(2, 512, 512, seed=4), common.smooth_images(1, 300, 400, seed=5)]
    cases = [c.to(args.device) for c in cases]
    with torch.no_grad():
        wants = [model(images) for images in cases]
    path = args.out / "model.onnx"
    common.log("exporting model.onnx")
    common.export_onnx(model, (cases[0],), path, ["images"], ["features"],
                       {"images": {0: "batch_size", 2: "height", 3: "width"}, "features": {0: "batch_size"}},
                       args.opset, not args.no_external_data)
    session = common.ort_session(path, args.device)
    for images, want in zip(cases, wants):
        got = common.run_ort(session, {"images": images})["features"]
        common.compare(f"features, images {tuple(images.shape)}", got, want, atol=1e-3, rtol=1e-3)
    common.write_json(args.out / "fid.json", {
        "format_version": 1,
        "kind": "fid_inception_v3",
        "model": "model.onnx",
        "input": "images",
        "input_range": [0, 1],
        "output": "features",
        "feature_dim": 2048,
        "preprocessing": "in graph: bilinear resize to 299x299 (align_corners=False), then 2x - 1",
        "source": {"package": "pytorch-fid", "weights": Path(inception.FID_WEIGHTS_URL).name,
                   "exporter": "onnx-export/export_fid_inception.py", "torch": torch.__version__, "opset": args.opset},
    })
    common.require_files(args.out, ["model.onnx", "fid.json"])
    common.log(f"done: {args.out}")


def main(argv=None):
    args = build_parser().parse_args(argv)
    common.main_guard(lambda: run(args))


if __name__ == "__main__":
    main()

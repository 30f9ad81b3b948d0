#!/usr/bin/python3
"""Fixtures for OrtDiffusion.Imaging, made by encoders and code independent of ours.

Run with Debian's interpreter (numpy and PIL 9.4):  /usr/bin/python3 make_png_fixtures.py

* A deliberately tiny PNG encoder below (zlib + zlib.crc32) that forces a chosen filter
  type per row, splits IDAT into several chunks, and can write palette, Adam7 and
  low bit depths.  Each decodable file comes with <name>.npy: the expected pixels (H, W, C).
* PNGs written by PIL with text chunks exactly as AUTOMATIC1111 saves its "parameters"
  (PngInfo.add_text: tEXt when Latin-1, iTXt otherwise; zTXt when zip=True).
* PIL's Image.resize(..., Image.LANCZOS) (what diffusers' image processor uses) on random
  images, for ImageResize.Lanczos.
* tensor_*.npy: diffusers' tensor <-> image conversions done with torch / numpy
  (VaeImageProcessor.postprocess / numpy_to_pil and the img2img preprocess).
* parameters_cases.json: infotext strings built and parsed with AUTOMATIC1111's rules
  (modules/processing.py create_infotext, modules/infotext_utils.py quote / unquote /
  parse_generation_parameters), re-implemented here.
"""
import json
import os
import re
import struct
import zlib

import numpy as np
from PIL import Image, PngImagePlugin

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.RandomState(20240601)


# ---------------------------------------------------------------- tiny encoder
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_row(ftype, row, prev, bpp):
    out = bytearray(len(row))
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][ftype]
        out[i] = (x - pred) & 0xFF
    return bytes([ftype]) + bytes(out)


def scanlines(rows, filters, bpp):
    data = b""
    prev = bytes(len(rows[0])) if rows else b""
    for i, row in enumerate(rows):
        data += filter_row(filters[i % len(filters)], row, prev, bpp)
        prev = row
    return data


def encode(pixels, color_type, filters, idat_parts=1, plte=None, trns=None, bit_depth=8, adam7=False, raw_rows=None):
    """pixels: (H, W, C) uint8. Returns PNG bytes."""
    h, w = pixels.shape[:2]
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    bpp = max(1, channels * bit_depth // 8)
    if adam7:
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        data = b""
        for x0, y0, dx, dy in passes:
            sub = pixels[y0::dy, x0::dx]
            if sub.size:
                data += scanlines([bytes(r.reshape(-1)) for r in sub], filters, bpp)
    else:
        rows = raw_rows if raw_rows is not None else [bytes(r.reshape(-1)) for r in pixels]
        data = scanlines(rows, filters, bpp)
    z = zlib.compress(data, 9)
    step = -(-len(z) // idat_parts)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 1 if adam7 else 0))
    if plte is not None:
        out += chunk(b"PLTE", bytes(plte.reshape(-1)))
    if trns is not None:
        out += chunk(b"tRNS", bytes(trns))
    for i in range(0, len(z), step):
        out += chunk(b"IDAT", z[i:i + step])
    return out + chunk(b"IEND", b"")


def write(name, data, expected=None):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    if expected is not None:
        np.save(os.path.join(HERE, name[:-4] + ".npy"), np.ascontiguousarray(expected, dtype=np.uint8))


# Same 9x6 RGB image once per filter type: every row uses that filter.
rgb = rng.randint(0, 256, size=(6, 9, 3)).astype(np.uint8)
rgb[2] = rgb[1]            # equal rows make Up produce zeros
for f in range(5):
    write(f"filter{f}_rgb.png", encode(rgb, 2, [f]), rgb)

# RGBA with the filter changing every row and IDAT split in three chunks.
rgba = rng.randint(0, 256, size=(11, 7, 4)).astype(np.uint8)
write("mixed_filters_rgba_3idat.png", encode(rgba, 6, [4, 0, 1, 2, 3], idat_parts=3), rgba)

gray = rng.randint(0, 256, size=(5, 13, 1)).astype(np.uint8)
write("gray.png", encode(gray, 0, [1, 4, 3, 2, 0]), gray)

gray_alpha = rng.randint(0, 256, size=(4, 6, 2)).astype(np.uint8)
write("gray_alpha.png", encode(gray_alpha, 4, [3, 4, 2, 1]), gray_alpha)

palette = rng.randint(0, 256, size=(5, 3)).astype(np.uint8)
indices = rng.randint(0, 5, size=(6, 8, 1)).astype(np.uint8)
write("palette.png", encode(indices, 3, [0, 1, 4], plte=palette), palette[indices[..., 0]])
alpha = np.array([0, 64, 255], dtype=np.uint8)   # entries beyond tRNS are opaque
alpha_full = np.concatenate([alpha, np.full(2, 255, np.uint8)])
expected = np.concatenate([palette[indices[..., 0]], alpha_full[indices]], axis=2)
write("palette_trns.png", encode(indices, 3, [2], plte=palette, trns=alpha), expected)

# Unsupported by our reader: Adam7, 16-bit, 4-bit, index beyond the palette.
write("interlaced_rgb.png", encode(rgb, 2, [0], adam7=True))
Image.fromarray((rng.randint(0, 65536, size=(4, 5))).astype(np.uint16)).save(os.path.join(HERE, "gray16_pil.png"))
nibbles = [bytes([0x12, 0x34]), bytes([0x56, 0x78])]     # 4x2 pixels, 4 bits each
write("gray4bit.png", encode(np.zeros((2, 4, 1), np.uint8), 0, [0], bit_depth=4, raw_rows=nibbles))
bad_index = indices.copy()
bad_index[0, 0, 0] = 9
write("palette_bad_index.png", encode(bad_index, 3, [0], plte=palette))

# ------------------------------------------------------- PIL-written text chunks
PARAMS = ("a photo of a cat, best quality\nNegative prompt: blurry\n"
          "Steps: 50, Sampler: DDIM, CFG scale: 7.5, Seed: 42, Size: 512x512, Model: stable-diffusion-v1-5")
img = Image.fromarray(rng.randint(0, 256, size=(8, 10, 3)).astype(np.uint8))
info = PngImagePlugin.PngInfo()
info.add_text("parameters", PARAMS)
info.add_text("Software", "café")                      # Latin-1: still tEXt
img.save(os.path.join(HERE, "pil_text.png"), pnginfo=info)
np.save(os.path.join(HERE, "pil_text.npy"), np.asarray(img))

info = PngImagePlugin.PngInfo()
info.add_text("parameters", "一只猫的照片 🐱\nSteps: 20, Sampler: Euler, CFG scale: 7.0, Seed: 1")   # not Latin-1: iTXt
info.add_text("Comment", "compressed text " * 20, zip=True)                                # zTXt
info.add_itxt("Title", "Überschrift ✓", lang="de", tkey="Titel", zip=True)              # compressed iTXt
img.save(os.path.join(HERE, "pil_itxt_ztxt.png"), pnginfo=info)

# --------------------------------------------------------------- Lanczos resizes
def resize_case(name, src, size):
    mode = "L" if src.shape[2] == 1 else "RGB"
    im = Image.fromarray(src[..., 0] if mode == "L" else src, mode)
    out = np.asarray(im.resize(size, Image.LANCZOS))
    if mode == "L":
        out = out[..., None]
    np.save(os.path.join(HERE, f"resize_{name}_src.npy"), src)
    np.save(os.path.join(HERE, f"resize_{name}_{size[0]}x{size[1]}.npy"), out)


smooth = np.clip(np.add.outer(np.arange(17) * 9, np.arange(23) * 5)[..., None] + rng.randint(-40, 41, size=(17, 23, 3)), 0, 255).astype(np.uint8)
resize_case("rgb", smooth, (16, 12))     # down
resize_case("rgb", smooth, (40, 31))     # up
resize_case("rgb", smooth, (23, 9))      # width kept, height halved
resize_case("gray", rng.randint(0, 256, size=(20, 15, 1)).astype(np.uint8), (7, 33))

# ----------------------------------------------------- tensor <-> image (diffusers)
def tensor_cases():
    import torch
    # Values whose scaled value (x/2 + 0.5) * 255 is exactly k + 0.5 in float32, to pin the
    # round-half-to-even of numpy's round.
    halves = []
    for k in range(255):
        v = np.float32((k + 0.5) / 255)
        x = np.float32(2 * v - 1)
        if np.float32(np.float32(x * np.float32(0.5) + np.float32(0.5)) * np.float32(255)) == k + 0.5:
            halves.append(x)
    x = rng.uniform(-1.3, 1.3, size=(2, 3, 5, 7)).astype(np.float32)
    flat = x.reshape(-1)
    flat[:len(halves[:40])] = halves[:40]
    flat[50:53] = [-1.0, 1.0, 0.0]
    np.save(os.path.join(HERE, "tensor_signed_in.npy"), x)
    t = torch.from_numpy(x)
    images = (t / 2 + 0.5).clamp(0, 1).permute(0, 2, 3, 1).float().numpy()      # postprocess, denormalize
    np.save(os.path.join(HERE, "tensor_signed_to_images.npy"), (images * 255).round().astype("uint8"))
    unit = t.clamp(0, 1).permute(0, 2, 3, 1).numpy()                                # [0, 1] input, clamped
    np.save(os.path.join(HERE, "tensor_unit_to_images.npy"), (unit * 255).round().astype("uint8"))
    print(f"{len(halves)} exact .5 cases found, {min(len(halves), 40)} used")

    img = rng.randint(0, 256, size=(5, 7, 3)).astype(np.uint8)
    np.save(os.path.join(HERE, "tensor_image_in.npy"), img)
    arr = img.astype(np.float32) / 255.0                                             # pil_to_numpy
    t = torch.from_numpy(arr[None].transpose(0, 3, 1, 2).copy())
    np.save(os.path.join(HERE, "tensor_image_to_signed.npy"), (2.0 * t - 1.0).numpy())  # normalize
    np.save(os.path.join(HERE, "tensor_image_to_unit.npy"), t.numpy())


tensor_cases()


# --------------------------------------------------- AUTOMATIC1111 infotext rules
def quote(text):
    if ',' not in str(text) and '\n' not in str(text) and ':' not in str(text):
        return text
    return json.dumps(text, ensure_ascii=False)


def unquote(text):
    if len(text) == 0 or text[0] != '"' or text[-1] != '"':
        return text
    try:
        return json.loads(text)
    except Exception:
        return text


def create_infotext(prompt, negative, params):
    text = ", ".join([k if k == v else f"{k}: {quote(v)}" for k, v in params.items() if v is not None])
    negative_text = f"\nNegative prompt: {negative}" if negative else ""
    return f"{prompt}{negative_text}\n{text}".strip()


re_param = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
re_imagesize = re.compile(r"^(\d+)x(\d+)$")


def parse(x):
    res = {}
    prompt = negative = ""
    done_with_prompt = False
    *lines, lastline = x.strip().split("\n")
    if len(re_param.findall(lastline)) < 3:
        lines.append(lastline)
        lastline = ""
    for line in lines:
        line = line.strip()
        if line.startswith("Negative prompt:"):
            done_with_prompt = True
            line = line[16:].strip()
        if done_with_prompt:
            negative += ("" if negative == "" else "\n") + line
        else:
            prompt += ("" if prompt == "" else "\n") + line
    res["Prompt"] = prompt
    res["Negative prompt"] = negative
    for k, v in re_param.findall(lastline):
        if v[0] == '"' and v[-1] == '"':
            v = unquote(v)
        m = re_imagesize.match(v)
        if m is not None:
            res[f"{k}-1"] = m.group(1)
            res[f"{k}-2"] = m.group(2)
        else:
            res[k] = v
    return res


cases = []
for prompt, negative, params in [
    ("a photo of a cat", "blurry, low quality",
     {"Steps": 50, "Sampler": "DDIM", "CFG scale": 7.5, "Seed": 42, "Size": "512x512", "Model": "stable-diffusion-v1-5"}),
    ("an astronaut riding a horse\non the moon", "",
     {"Steps": 25, "Sampler": "DPM++ 2M", "CFG scale": 7.0, "Seed": 4294967301, "Size": "768x512", "Model": "tiny",
      "DATE rho": 0.1, "DATE steps": "0,10,20", "Reward": "clip: 1.0, aesthetic: 0.5"}),
    ("猫, \"quoted\"", "dog",
     {"Steps": 1, "Sampler": "Euler", "CFG scale": 1.0, "Seed": 0, "Size": "64x64", "Model": "m:1"}),
]:
    text = create_infotext(prompt, negative, params)
    cases.append({"prompt": prompt, "negative": negative, "params": {k: str(v) for k, v in params.items()},
                  "text": text, "parsed": parse(text)})
with open(os.path.join(HERE, "parameters_cases.json"), "w", encoding="utf-8") as f:
    json.dump(cases, f, ensure_ascii=False, indent=1)

print("\n".join(sorted(n for n in os.listdir(HERE) if not n.endswith(".py"))))

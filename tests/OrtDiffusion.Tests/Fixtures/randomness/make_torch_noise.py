#!/usr/bin/python3
"""Reference values for OrtDiffusion.Randomness.TorchGenerator.

Run with Debian's interpreter (it has torch 1.13 and numpy):

    /usr/bin/python3 make_torch_noise.py

Writes, next to this script:
  * torch_noise_manifest.json  - one entry per case: seed, the sequence of
    calls made on ONE torch.Generator().manual_seed(seed), the CPU kernel
    ("default" = scalar normal_fill, "avx2" = the AVX2 normal_fill that x86
    builds use), and where the outputs of the calls (concatenated in call
    order) lie: file, offset and count;
  * noise_default.npy, noise_avx2.npy (float32), noise_random64.npy (int64),
    noise_mt19937.npy (the uint32 values as int64) - all cases of one kind, concatenated.

torch picks its kernel from ATEN_CPU_CAPABILITY at start-up, so the script runs
itself once per capability in a child process.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

SEEDS = [0, 42, 2**32 + 5, 12345678901234567890]
SINGLE_SIZES = [1, 2, 3, 15, 16, 17, 31, 32, 100]
SEQUENCES = [
    [3, 16],          # the cached second Box-Muller value survives a vectorised call ...
    [3, 16, 3],       # ... and is used by the next small call
    [1, 1, 1, 1],
    [16, 3],
    [5, 17, 2, 33, 1],
    [100, 100],
]
BIG = 4 * 64 * 64     # SD v1.5 latents for 512x512


def cases():
    """(name, seed, op, [sizes]) for one capability."""
    out = []
    for seed in SEEDS:
        for n in SINGLE_SIZES:
            out.append((f"randn_s{seed}_n{n}", seed, "randn", [n]))
        for seq in SEQUENCES:
            out.append((f"randn_s{seed}_seq{'-'.join(map(str, seq))}", seed, "randn", seq))
    out.append(("randn_s42_big", 42, "randn", [BIG]))
    out.append(("randn_s0_seq3-big-3", 0, "randn", [3, BIG, 3]))
    out.append(("randn_s2024_big-big", 2024, "randn", [BIG, BIG]))
    out.append(("rand_s42_n37", 42, "rand", [37]))
    out.append(("rand_s7_seq5-1-20", 7, "rand", [5, 1, 20]))
    out.append(("mixed_s42_rand3-randn17-rand2-randn3", 42, "mixed", [3, 17, 2, 3]))
    out.append(("random64_s42_n10", 42, "random64", [10]))
    out.append(("random64_s12345678901234567890_n10", 12345678901234567890, "random64", [10]))
    return out


def child(capability):
    import numpy as np
    import torch
    manifest = []
    blobs = {}
    for name, seed, op, sizes in cases():
        g = torch.Generator().manual_seed(seed)
        parts = []
        for i, n in enumerate(sizes):
            if op == "randn" or (op == "mixed" and i % 2 == 1):
                parts.append(torch.randn(n, generator=g).numpy())
            elif op == "rand" or op == "mixed":
                parts.append(torch.rand(n, generator=g).numpy())
            elif op == "random64":
                # random_() on int64 with no bounds: random64() % 2**63 (CPUGeneratorImpl).
                parts.append(torch.empty(n, dtype=torch.int64).random_(generator=g).numpy())
        data = np.concatenate(parts)
        file = "noise_random64.npy" if op == "random64" else f"noise_{capability}.npy"
        store = blobs.setdefault(file, [])
        offset = sum(b.size for b in store)
        store.append(data)
        manifest.append({"name": name, "capability": capability, "seed": str(seed), "op": op,
                         "sizes": sizes, "file": file, "offset": offset, "count": int(data.size)})
    for file, store in blobs.items():
        if file == "noise_random64.npy" and capability != "default":
            continue  # integer draws do not depend on the kernel
        np.save(os.path.join(HERE, file), np.concatenate(store))
    print(json.dumps([e for e in manifest if not (e["op"] == "random64" and capability != "default")]))


def raw_engine_case():
    """Raw mt19937 32-bit outputs from numpy's legacy RandomState (an independent
    mt19937 with the same init_genrand seeding as torch) for 32-bit seeds."""
    import numpy as np
    out = []
    parts = []
    for seed in [0, 42, 5489, 4294967295]:
        rs = np.random.RandomState(seed)
        # Full-range uint32 draws return the raw generator output.
        # Kept as int64: NpyFile reads the dtypes the library needs, and uint32 is not one of them.
        data = rs.randint(0, 2**32, size=1300, dtype=np.uint64).astype(np.int64)
        out.append({"name": f"mt19937_s{seed}", "capability": "any", "seed": str(seed), "op": "mt19937",
                    "sizes": [1300], "file": "noise_mt19937.npy", "offset": 1300 * len(parts), "count": 1300})
        parts.append(data)
    np.save(os.path.join(HERE, "noise_mt19937.npy"), np.concatenate(parts))
    return out


def compare_capabilities(manifest):
    import numpy as np
    by = {}
    for e in manifest:
        data = np.load(os.path.join(HERE, e["file"]))[e["offset"]:e["offset"] + e["count"]]
        by.setdefault(e["name"], {})[e["capability"]] = data
    total = differ = 0
    max_abs = 0.0
    for name, caps in by.items():
        if "default" in caps and "avx2" in caps and caps["default"].dtype == np.float32:
            a, b = caps["default"], caps["avx2"]
            total += a.size
            differ += int((a != b).sum())
            max_abs = max(max_abs, float(np.abs(a.astype(np.float64) - b).max()))
    print(f"default vs avx2 kernels: {differ} of {total} float32 values differ, max |diff| = {max_abs:.3g}",
          file=sys.stderr)


def main():
    if len(sys.argv) == 2:
        child(sys.argv[1])
        return
    for f in os.listdir(HERE):
        if f.startswith("noise_") and f.endswith(".npy"):  # stale outputs
            os.remove(os.path.join(HERE, f))
    manifest = []
    for capability in ["default", "avx2"]:
        env = dict(os.environ, ATEN_CPU_CAPABILITY=capability)
        out = subprocess.run([sys.executable, __file__, capability], env=env, check=True,
                             capture_output=True, text=True).stdout
        manifest.extend(json.loads(out))
    manifest.extend(raw_engine_case())
    import torch
    with open(os.path.join(HERE, "torch_noise_manifest.json"), "w") as f:
        # One case per line keeps diffs readable.
        f.write('{"torch": %s, "tolerance": "bit-exact", "cases": [\n' % json.dumps(torch.__version__))
        f.write(",\n".join(json.dumps(c) for c in manifest))
        f.write("\n]}\n")
    compare_capabilities(manifest)


if __name__ == "__main__":
    main()

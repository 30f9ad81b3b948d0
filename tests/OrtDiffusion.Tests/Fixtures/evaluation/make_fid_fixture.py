#!/usr/bin/python3
"""Reference values for the FID tests (run with Debian's /usr/bin/python3: numpy + scipy).

Writes
  fid_cases.npz             features of each case as float32 (x_<case>_1, x_<case>_2) and their statistics in
                            float64 as numpy computes them (mu/sigma_<case>_1/2: mean(axis=0), cov(rowvar=False))
  fid_cases_compressed.npz  one array saved with np.savez_compressed (deflated entries) for the reader test
  fid_expected.json         per case: fid_scipy -- pytorch-fid's calculate_frechet_distance formula
                            (scipy.linalg.sqrtm(sigma1 @ sigma2), eps=1e-6 fallback, real part) -- and fid_svd, an
                            independent exact value: with B = centred features / sqrt(n - 1) (so sigma = B^T B),
                            the eigenvalues of sigma1 sigma2 are the squared singular values of B1 B2^T, hence
                            Tr sqrt(sigma1 sigma2) = sum of the singular values of B1 B2^T. That stays exact when
                            the covariances are singular (n <= d), where sqrtm of the product is ill-conditioned.

Cases: full_rank (d=8, n=60/50: both formulas agree), wide (d=48, n=150/120), singular (d=8, n=5/6) and
tiny_zoo_like (d=64, n=12/10, non-negative features like pooled ReLU maps).
"""
import json
from pathlib import Path

import numpy as np
from scipy import linalg

HERE = Path(__file__).resolve().parent


def pytorch_fid(mu1, sigma1, mu2, sigma2, eps=1e-6):
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def svd_fid(x1, x2):
    b1 = (x1 - x1.mean(0)) / np.sqrt(len(x1) - 1)
    b2 = (x2 - x2.mean(0)) / np.sqrt(len(x2) - 1)
    trace_sqrt = np.linalg.svd(b1 @ b2.T, compute_uv=False).sum()
    diff = x1.mean(0) - x2.mean(0)
    return float(diff.dot(diff) + (b1 * b1).sum() + (b2 * b2).sum() - 2 * trace_sqrt)


def features(rng, n, d, shift, scale, relu=False):
    mixing = rng.standard_normal((d, d)) * scale / np.sqrt(d)
    x = rng.standard_normal((n, d)) @ mixing + shift
    if relu:
        x = np.maximum(x, 0)
    return x.astype(np.float32)


def main():
    rng = np.random.default_rng(20240611)
    cases = {
        "full_rank": (features(rng, 60, 8, 0.0, 1.0), features(rng, 50, 8, 0.3, 1.5)),
        "wide": (features(rng, 150, 48, 0.0, 1.0), features(rng, 120, 48, 0.1, 1.2)),
        "singular": (features(rng, 5, 8, 0.0, 1.0), features(rng, 6, 8, 0.5, 0.8)),
        "tiny_zoo_like": (features(rng, 12, 64, 0.2, 0.5, relu=True), features(rng, 10, 64, 0.25, 0.6, relu=True)),
    }
    arrays, expected = {}, {}
    for name, (x1, x2) in cases.items():
        stats = []
        for k, x in ((1, x1), (2, x2)):
            x64 = x.astype(np.float64)
            mu, sigma = x64.mean(axis=0), np.cov(x64, rowvar=False)
            arrays[f"x_{name}_{k}"] = x
            arrays[f"mu_{name}_{k}"] = mu
            arrays[f"sigma_{name}_{k}"] = sigma
            stats.append((mu, sigma))
        (mu1, s1), (mu2, s2) = stats
        expected[name] = {
            "fid_scipy": pytorch_fid(mu1, s1, mu2, s2),
            "fid_svd": svd_fid(x1.astype(np.float64), x2.astype(np.float64)),
            "n1": len(x1), "n2": len(x2), "d": x1.shape[1],
        }
    np.savez(HERE / "fid_cases.npz", **arrays)
    np.savez_compressed(HERE / "fid_cases_compressed.npz", mu_full_rank_1=arrays["mu_full_rank_1"], x_singular_1=arrays["x_singular_1"])
    (HERE / "fid_expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    for name, e in expected.items():
        print(f"{name:14s} scipy {e['fid_scipy']:.12g}  svd {e['fid_svd']:.12g}  rel diff {abs(e['fid_scipy'] - e['fid_svd']) / e['fid_svd']:.2e}")


if __name__ == "__main__":
    main()

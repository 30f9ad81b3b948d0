#!/usr/bin/python3
"""Independent reference values for the C# schedulers (OrtDiffusion.Schedulers).

Run with Debian's interpreter (numpy 1.24, torch 1.13, scipy from apt `python3-scipy`):

    /usr/bin/python3 make_reference.py > reference.json

Written from the published algorithms (DDIM: Song et al. 2020; PNDM/PLMS: Liu et al.
2022; LMS and Euler: Karras et al. 2022 / k-diffusion; DPM-Solver and DPM-Solver++:
Lu et al. 2022) and the conventions diffusers documents for its scheduler configs
(timestep spacings, `steps_offset`, `set_alpha_to_one`, Karras sigmas, dynamic
thresholding). diffusers itself is not installed; nothing here imports it.

Everything is computed in float64 except the training noise table (betas and their
cumulative product), which diffusers defines as float32 torch tensors, so it is built
the same way here with torch. The C# code runs the sample arithmetic in float32, so
tests compare with tolerances.

The "model" is an analytic element-wise function of the (scaled) sample and the
timestep, so full denoising loops can be reproduced without a network.
"""
import json
import math
import sys

import numpy as np
import torch
from scipy import integrate

SHAPE = [2, 4, 4, 4]  # batch 2, so dynamic thresholding is checked per sample
NUMEL = int(np.prod(SHAPE))


# ----------------------------------------------------------------------------------------
# Deterministic inputs shared with the C# tests (stored in the JSON, except the noise
# sequence, which the tests regenerate from the same formula).
# ----------------------------------------------------------------------------------------
def initial_noise():
    i = np.arange(NUMEL, dtype=np.float64)
    return (1.2 * np.sin(0.7 * i + 0.3) + 0.4 * np.cos(2.3 * i)).astype(np.float32)


def init_image():
    i = np.arange(NUMEL, dtype=np.float64)
    return (0.8 * np.cos(0.45 * i) + 0.1).astype(np.float32)


def noise_call(k):
    """k-th call of the fixed noise source (DDIM eta > 0, Euler churn)."""
    i = np.arange(NUMEL, dtype=np.float64)
    return (1.1 * np.sin(0.37 * i + 1.31 * k + 0.2)).astype(np.float32).astype(np.float64)


def model(x, t):
    """Analytic stand-in for the denoiser: f(x, t) = 0.1 x + 0.5 sin(t / 100 + x)."""
    return 0.1 * x + 0.5 * np.sin(t / 100.0 + x)


# ----------------------------------------------------------------------------------------
# Config defaults, per scheduler class (the values diffusers' constructors declare).
# ----------------------------------------------------------------------------------------
COMMON = dict(num_train_timesteps=1000, beta_start=0.0001, beta_end=0.02, beta_schedule="linear",
              trained_betas=None, prediction_type="epsilon", steps_offset=0, rescale_betas_zero_snr=False)
DEFAULTS = {
    "ddim": dict(COMMON, clip_sample=True, set_alpha_to_one=True, thresholding=False,
                 dynamic_thresholding_ratio=0.995, clip_sample_range=1.0, sample_max_value=1.0,
                 timestep_spacing="leading"),
    "pndm": dict(COMMON, skip_prk_steps=False, set_alpha_to_one=False, timestep_spacing="leading"),
    "lms": dict(COMMON, use_karras_sigmas=False, timestep_spacing="linspace"),
    "euler": dict(COMMON, interpolation_type="linear", use_karras_sigmas=False, sigma_min=None,
                  sigma_max=None, timestep_spacing="linspace", final_sigmas_type="zero"),
    "dpm": dict(COMMON, solver_order=2, thresholding=False, dynamic_thresholding_ratio=0.995,
                sample_max_value=1.0, algorithm_type="dpmsolver++", solver_type="midpoint",
                lower_order_final=True, euler_at_final=False, use_karras_sigmas=False,
                final_sigmas_type="zero", lambda_min_clipped=-math.inf, timestep_spacing="linspace"),
}

SD15 = {"_class_name": "PNDMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear",
        "beta_start": 0.00085, "num_train_timesteps": 1000, "set_alpha_to_one": False,
        "skip_prk_steps": True, "steps_offset": 1, "trained_betas": None, "clip_sample": False}


def resolve(kind, cfg):
    out = dict(DEFAULTS[kind])
    for k, v in cfg.items():
        if k in out:
            out[k] = v
    return out


# ----------------------------------------------------------------------------------------
# Training noise table: torch float32, as diffusers builds it.
# ----------------------------------------------------------------------------------------
def rescale_zero_terminal_snr(betas):
    """Lin et al. 2023, Algorithm 1 (float32 torch ops)."""
    a_bar_sqrt = torch.cumprod(1.0 - betas, dim=0).sqrt()
    first, last = a_bar_sqrt[0].clone(), a_bar_sqrt[-1].clone()
    a_bar_sqrt = (a_bar_sqrt - last) * (first / (first - last))
    a_bar = a_bar_sqrt ** 2
    alphas = torch.cat([a_bar[0:1], a_bar[1:] / a_bar[:-1]])
    return 1 - alphas


def alphas_cumprod(kind, c):
    n = c["num_train_timesteps"]
    if c["trained_betas"] is not None:
        betas = torch.tensor(c["trained_betas"], dtype=torch.float32)
    elif c["beta_schedule"] == "linear":
        betas = torch.linspace(c["beta_start"], c["beta_end"], n, dtype=torch.float32)
    elif c["beta_schedule"] == "scaled_linear":
        betas = torch.linspace(c["beta_start"] ** 0.5, c["beta_end"] ** 0.5, n, dtype=torch.float32) ** 2
    elif c["beta_schedule"] == "squaredcos_cap_v2":
        f = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2  # Nichol & Dhariwal 2021
        betas = torch.tensor([min(1 - f((i + 1) / n) / f(i / n), 0.999) for i in range(n)], dtype=torch.float32)
    else:
        raise ValueError(c["beta_schedule"])
    rescale = c.get("rescale_betas_zero_snr", False) and kind in ("ddim", "euler", "dpm")
    if rescale:
        betas = rescale_zero_terminal_snr(betas)
    ac = torch.cumprod(1.0 - betas, dim=0)
    if rescale and kind in ("euler", "dpm"):
        ac[-1] = 2.0 ** -24
    return ac.numpy()  # float32


def vp_sigmas_f32(ac):
    """sigma(t) = sqrt((1 - a_bar) / a_bar), float32 like the torch table."""
    ac = ac.astype(np.float32)
    return np.sqrt((np.float32(1) - ac) / ac).astype(np.float32)


# ----------------------------------------------------------------------------------------
# Timestep schedules
# ----------------------------------------------------------------------------------------
def spaced(c, steps, ascending_int):
    """Integer schedules (DDIM, PNDM) descending; PNDM wants them ascending."""
    n = c["num_train_timesteps"]
    sp = c["timestep_spacing"]
    if sp == "linspace":
        ts = np.round(np.linspace(0, n - 1, steps)).astype(np.int64)
    elif sp == "leading":
        ts = np.arange(steps, dtype=np.int64) * (n // steps) + c["steps_offset"]
    elif sp == "trailing":
        ts = np.round(np.arange(n, 0, -n / steps))[::-1].astype(np.int64) - 1
    else:
        raise ValueError(sp)
    return ts if ascending_int else ts[::-1].copy()


def ddim_timesteps(c, steps):
    return spaced(c, steps, ascending_int=False)


def pndm_timesteps(c, steps):
    base = spaced(c, steps, ascending_int=True)  # ascending
    if c["skip_prk_steps"]:
        # PLMS only: the first step is taken twice (an Euler step, then its Heun correction).
        seq = list(base[:-1]) + [base[-2], base[-1]]
        return np.array(seq[::-1], dtype=np.int64), 0
    half = c["num_train_timesteps"] // steps // 2
    last4 = base[-4:]
    # Runge-Kutta warm-up: 3 RK4 steps from the top, each visiting t, t - half (twice), t - ratio.
    pts = np.repeat(last4, 2) + np.tile([0, half], 4)  # t, t + half for each of the last 4 points
    pts = np.repeat(pts[:-1], 2)[1:-1][::-1]
    plms = base[:-3][::-1]
    return np.concatenate([pts, plms]).astype(np.int64), len(pts)


def numpy_interp_sigmas(ts, ac):
    s = vp_sigmas_f32(ac).astype(np.float64)
    return np.interp(np.asarray(ts, dtype=np.float64), np.arange(len(s)), s)


def sigma_to_t(sigma, ac):
    """Invert sigma(t) by linear interpolation in log-sigma between training points."""
    log_sigmas = np.log(vp_sigmas_f32(ac))  # float32 logs
    ls = np.log(max(sigma, 1e-10))
    below = np.nonzero(log_sigmas <= ls)[0]
    low = int(below[-1]) if len(below) else 0
    low = min(low, len(log_sigmas) - 2)
    lo, hi = float(log_sigmas[low]), float(log_sigmas[low + 1])
    w = min(max((lo - ls) / (lo - hi), 0.0), 1.0)
    return (1 - w) * low + w * (low + 1)


def karras(sigma_max, sigma_min, steps, rho=7.0):
    ramp = np.linspace(0, 1, steps)
    a, b = sigma_max ** (1 / rho), sigma_min ** (1 / rho)
    return (a + ramp * (b - a)) ** rho


def k_float_timesteps(c, steps):
    """Float timesteps of LMS / Euler."""
    n = c["num_train_timesteps"]
    sp = c["timestep_spacing"]
    if sp == "linspace":
        return np.linspace(0, n - 1, steps, dtype=np.float32)[::-1].copy()
    if sp == "leading":
        return (np.arange(steps)[::-1] * (n // steps)).astype(np.float32) + np.float32(c["steps_offset"])
    if sp == "trailing":
        return np.round(np.arange(n, 0, -n / steps)).astype(np.float32) - np.float32(1)
    raise ValueError(sp)


def lms_or_euler_schedule(kind, c, steps, ac):
    ts = k_float_timesteps(c, steps)
    sig = numpy_interp_sigmas(ts, ac)
    if c["use_karras_sigmas"]:
        smin, smax = float(sig[-1]), float(sig[0])
        if kind == "euler":
            smin = c["sigma_min"] if c["sigma_min"] is not None else smin
            smax = c["sigma_max"] if c["sigma_max"] is not None else smax
        sig = karras(smax, smin, steps)
        ts = np.array([sigma_to_t(s, ac) for s in sig]).astype(np.float32)
    last = 0.0
    if kind == "euler" and c["final_sigmas_type"] == "sigma_min":
        last = float(vp_sigmas_f32(ac)[0])
    sigmas = np.concatenate([sig, [last]]).astype(np.float32)
    max_sigma = float(sigmas.max())
    init = max_sigma if c["timestep_spacing"] in ("linspace", "trailing") else math.sqrt(max_sigma ** 2 + 1)
    return ts.astype(np.float32), sigmas, init


def dpm_schedule(c, steps, ac):
    n = c["num_train_timesteps"]
    ac64 = ac.astype(np.float64)
    lam = np.log(np.sqrt(ac.astype(np.float32))) - np.log(np.sqrt(np.float32(1) - ac.astype(np.float32)))
    # the first training index (counting from t = N-1 down) whose lambda is not below the clip
    clipped = int(np.sum(lam[::-1] < c["lambda_min_clipped"]))
    last_t = n - clipped
    sp = c["timestep_spacing"]
    if sp == "linspace":
        ts = np.round(np.linspace(0, last_t - 1, steps + 1))[::-1][:-1].astype(np.int64)
    elif sp == "leading":
        r = last_t // (steps + 1)
        ts = (np.arange(steps + 1) * r)[::-1][:-1].astype(np.int64) + c["steps_offset"]
    elif sp == "trailing":
        ts = np.round(np.arange(last_t, 0, -n / steps)).astype(np.int64) - 1
    else:
        raise ValueError(sp)
    table = vp_sigmas_f32(ac).astype(np.float64)
    if c["use_karras_sigmas"]:
        sig = karras(float(table[-1]), float(table[0]), steps)
        tf = np.array([sigma_to_t(s, ac) for s in sig])
        ts = (tf if c["beta_schedule"] == "squaredcos_cap_v2" else np.round(tf)).astype(np.int64)
    else:
        sig = table[ts]
    last = float(vp_sigmas_f32(ac)[0]) if c["final_sigmas_type"] == "sigma_min" else 0.0
    sigmas = np.concatenate([sig, [last]]).astype(np.float32)
    return ts.astype(np.float64), sigmas


# ----------------------------------------------------------------------------------------
# Shared step pieces
# ----------------------------------------------------------------------------------------
def dynamic_threshold(x0, ratio, max_value):
    """Saharia et al. 2022: per sample, s = quantile(|x0|, ratio) clamped to [1, max]."""
    b = SHAPE[0]
    flat = x0.reshape(b, -1)
    s = np.quantile(np.abs(flat), ratio, axis=1)  # linear interpolation
    s = np.clip(s, 1.0, max_value)[:, None]
    return (np.clip(flat, -s, s) / s).reshape(x0.shape)


class Noise:
    def __init__(self):
        self.k = 0

    def __call__(self):
        v = noise_call(self.k)
        self.k += 1
        return v


class Trace:
    def __init__(self):
        self.prev_sums, self.x0_sums, self.x0 = [], [], None

    def add(self, prev, x0):
        self.prev_sums.append(float(np.sum(prev)))
        self.x0_sums.append(float(np.sum(x0)))
        self.x0 = x0


# ----------------------------------------------------------------------------------------
# DDIM (Song et al., eq. 12)
# ----------------------------------------------------------------------------------------
def run_ddim(c, steps, x, start, opts, tr):
    ac = alphas_cumprod("ddim", c).astype(np.float64)
    ts = ddim_timesteps(c, steps)
    final = 1.0 if c["set_alpha_to_one"] else ac[0]
    eta = opts.get("eta", 0.0)
    noise = Noise()
    for i in range(start, len(ts)):
        t = int(ts[i])
        m = model(x, float(t))
        tp = t - c["num_train_timesteps"] // steps
        a_t = ac[t]
        a_p = ac[tp] if tp >= 0 else final
        if c["prediction_type"] == "epsilon":
            x0, eps = (x - math.sqrt(1 - a_t) * m) / math.sqrt(a_t), m
        elif c["prediction_type"] == "sample":
            x0 = m
            eps = (x - math.sqrt(a_t) * m) / math.sqrt(1 - a_t)
        else:  # v: x0 = sqrt(a) x - sqrt(1-a) v, eps = sqrt(a) v + sqrt(1-a) x
            x0 = math.sqrt(a_t) * x - math.sqrt(1 - a_t) * m
            eps = math.sqrt(a_t) * m + math.sqrt(1 - a_t) * x
        if c["thresholding"]:
            x0 = dynamic_threshold(x0, c["dynamic_thresholding_ratio"], c["sample_max_value"])
        elif c["clip_sample"]:
            x0 = np.clip(x0, -c["clip_sample_range"], c["clip_sample_range"])
        var = (1 - a_p) / (1 - a_t) * (1 - a_t / a_p)
        std = eta * math.sqrt(var)
        if opts.get("use_clipped_model_output", False):
            eps = (x - math.sqrt(a_t) * x0) / math.sqrt(1 - a_t)
        prev = math.sqrt(a_p) * x0 + math.sqrt(1 - a_p - std ** 2) * eps
        if eta > 0:
            prev = prev + std * noise()
        tr.add(prev, x0)
        x = prev
    return x, ts.astype(np.float64), None, 1.0


def ddim_add_noise(c, steps, x0, z, idx, kind="ddim"):
    ac = alphas_cumprod(kind, c).astype(np.float64)
    ts = ddim_timesteps(c, steps) if kind == "ddim" else pndm_timesteps(c, steps)[0]
    a = ac[int(ts[idx])]
    return math.sqrt(a) * x0 + math.sqrt(1 - a) * z


# ----------------------------------------------------------------------------------------
# PNDM: pseudo Runge-Kutta warm-up + pseudo linear multistep (Liu et al. 2022, eqs. 9-13)
# ----------------------------------------------------------------------------------------
def pndm_transfer(ac, final, x, t, tp, eps, c):
    """phi(x_t, eps, t -> tp), the pseudo numerical transfer of eq. 11."""
    a_t = ac[t]
    a_p = ac[tp] if tp >= 0 else final
    if c["prediction_type"] == "v_prediction":
        eps = math.sqrt(a_t) * eps + math.sqrt(1 - a_t) * x
    denom = a_t * math.sqrt(1 - a_p) + math.sqrt(a_t * (1 - a_t) * a_p)
    return math.sqrt(a_p / a_t) * x - (a_p - a_t) * eps / denom


def pndm_x0(ac, x, t, m, c):
    a = ac[t]
    if c["prediction_type"] == "v_prediction":
        return math.sqrt(a) * x - math.sqrt(1 - a) * m
    return (x - math.sqrt(1 - a) * m) / math.sqrt(a)


def run_pndm(c, steps, x, start, opts, tr):
    ac = alphas_cumprod("pndm", c).astype(np.float64)
    ts, n_prk = pndm_timesteps(c, steps)
    final = 1.0 if c["set_alpha_to_one"] else ac[0]
    ratio = c["num_train_timesteps"] // steps
    ets = []
    k = 0  # steps taken in this run
    x_start = None  # sample at the start of the current multi-call step
    acc = None
    for i in range(start, len(ts)):
        t = int(ts[i])
        m = model(x, float(t))
        x0 = pndm_x0(ac, x, t, m, c)
        if k < n_prk:
            # RK4 over [t0, t0 - ratio]: stages at t0, t0 - ratio/2 (twice), t0 - ratio.
            t0 = int(ts[(k // 4) * 4])
            stage = k % 4
            if stage == 0:
                x_start, acc = x, m / 6
                ets.append(m)
                prev = pndm_transfer(ac, final, x_start, t0, t - ratio // 2, m, c)
            elif stage == 1:
                acc = acc + m / 3
                prev = pndm_transfer(ac, final, x_start, t0, t, m, c)
            elif stage == 2:
                acc = acc + m / 3
                prev = pndm_transfer(ac, final, x_start, t0, t - ratio // 2, m, c)
            else:
                prev = pndm_transfer(ac, final, x_start, t0, t, acc + m / 6, c)
        elif c["skip_prk_steps"] and k == 0:
            ets = [m]
            x_start = x
            prev = pndm_transfer(ac, final, x, t, t - ratio, m, c)
        elif c["skip_prk_steps"] and k == 1:
            # Heun correction of the first step; this output is not kept for later steps.
            prev = pndm_transfer(ac, final, x_start, t + ratio, t, (m + ets[-1]) / 2, c)
        else:
            ets = (ets + [m])[-4:]
            e = ets[::-1]
            if len(e) == 2:
                comb = (3 * e[0] - e[1]) / 2
            elif len(e) == 3:
                comb = (23 * e[0] - 16 * e[1] + 5 * e[2]) / 12
            else:
                comb = (55 * e[0] - 59 * e[1] + 37 * e[2] - 9 * e[3]) / 24
            prev = pndm_transfer(ac, final, x, t, t - ratio, comb, c)
        tr.add(prev, x0)
        x = prev
        k += 1
    return x, ts.astype(np.float64), None, 1.0


# ----------------------------------------------------------------------------------------
# LMS (linear multistep in sigma, order 4; coefficients integrate the Lagrange basis)
# ----------------------------------------------------------------------------------------
def lagrange_coeff(sig, i, order, j):
    def basis(tau):
        p = 1.0
        for k in range(order):
            if k != j:
                p *= (tau - sig[i - k]) / (sig[i - j] - sig[i - k])
        return p
    return integrate.quad(basis, sig[i], sig[i + 1], epsabs=1e-14, epsrel=1e-12)[0]


def sigma_x0(pred, x, sigma, m):
    if pred == "epsilon":
        return x - sigma * m
    if pred == "v_prediction":
        return m * (-sigma / math.sqrt(sigma ** 2 + 1)) + x / (sigma ** 2 + 1)
    return m


def run_lms(c, steps, x, start, opts, tr):
    ac = alphas_cumprod("lms", c)
    ts, sig32, init = lms_or_euler_schedule("lms", c, steps, ac)
    sig = sig32.astype(np.float64)
    ders = []
    for i in range(start, len(ts)):
        s = sig[i]
        t = float(ts[i])
        m = model(x / math.sqrt(s ** 2 + 1), t)
        x0 = sigma_x0(c["prediction_type"], x, s, m)
        ders = (ders + [(x - x0) / s])[-4:]
        order = min(i + 1, 4)  # counted from the schedule's start, as diffusers does
        coeffs = [lagrange_coeff(sig, i, order, j) for j in range(order)]
        prev = x + sum(cf * d for cf, d in zip(coeffs, ders[::-1]))
        tr.add(prev, x0)
        x = prev
    return x, ts.astype(np.float64), sig32, init


# ----------------------------------------------------------------------------------------
# Euler (Karras et al. 2022, Algorithm 2 with the churn, first-order only)
# ----------------------------------------------------------------------------------------
def run_euler(c, steps, x, start, opts, tr):
    ac = alphas_cumprod("euler", c)
    ts, sig32, init = lms_or_euler_schedule("euler", c, steps, ac)
    sig = sig32.astype(np.float64)
    churn, tmin = opts.get("s_churn", 0.0), opts.get("s_tmin", 0.0)
    tmax, snoise = opts.get("s_tmax", math.inf), opts.get("s_noise", 1.0)
    noise = Noise()
    for i in range(start, len(ts)):
        s = sig[i]
        m = model(x / math.sqrt(s ** 2 + 1), float(ts[i]))
        gamma = min(churn / steps, 2 ** 0.5 - 1) if tmin <= s <= tmax else 0.0
        s_hat = s * (gamma + 1)
        if gamma > 0:
            x = x + noise() * snoise * math.sqrt(s_hat ** 2 - s ** 2)
        if c["prediction_type"] == "epsilon":
            x0 = x - s_hat * m
        elif c["prediction_type"] == "v_prediction":
            x0 = m * (-s / math.sqrt(s ** 2 + 1)) + x / (s ** 2 + 1)
        else:
            x0 = m
        d = (x - x0) / s_hat
        prev = x + d * (sig[i + 1] - s_hat)
        tr.add(prev, x0)
        x = prev
    return x, ts.astype(np.float64), sig32, init


def sigma_add_noise(kind, c, steps, x0, z, idx):
    ac = alphas_cumprod(kind, c)
    _, sig32, _ = lms_or_euler_schedule(kind, c, steps, ac)
    return x0 + float(sig32[idx]) * z


# ----------------------------------------------------------------------------------------
# DPM-Solver (Lu et al. 2022a) and DPM-Solver++ (Lu et al. 2022b), multistep
# ----------------------------------------------------------------------------------------
def run_dpm(c, steps, x, start, opts, tr):
    ac = alphas_cumprod("dpm", c)
    ts, sig32 = dpm_schedule(c, steps, ac)
    sig = sig32.astype(np.float64)
    n = len(ts)
    plus = c["algorithm_type"] == "dpmsolver++"
    order = c["solver_order"]

    def alpha_sigma(s):
        a = 1.0 / math.sqrt(s * s + 1.0)
        return a, s * a

    def lam(s):
        a, sg = alpha_sigma(s)
        return math.log(a) - (math.log(sg) if sg > 0 else -math.inf)

    outs = []
    taken = 0
    for i in range(start, n):
        s0 = sig[i]
        a0, sg0 = alpha_sigma(s0)
        m = model(x, float(ts[i]))
        # data (x0) and noise (eps) predictions
        if c["prediction_type"] == "epsilon":
            x0, eps = (x - sg0 * m) / a0, m
        elif c["prediction_type"] == "sample":
            x0, eps = m, (x - a0 * m) / sg0
        else:
            x0, eps = a0 * x - sg0 * m, a0 * m + sg0 * x
        if c["thresholding"]:
            x0 = dynamic_threshold(x0, c["dynamic_thresholding_ratio"], c["sample_max_value"])
            eps = (x - a0 * x0) / sg0
        outs = (outs + [x0 if plus else eps])[-3:]
        final_first = i == n - 1 and (c["euler_at_final"] or (c["lower_order_final"] and n < 15)
                                       or c["final_sigmas_type"] == "zero")
        second_last = i == n - 2 and c["lower_order_final"] and n < 15
        if order == 1 or taken < 1 or final_first:
            k = 1
        elif order == 2 or taken < 2 or second_last:
            k = 2
        else:
            k = 3
        st = sig[i + 1]
        at, sgt = alpha_sigma(st)
        h = lam(st) - lam(s0)
        if k == 1:
            D = [outs[-1]]
        else:
            s1 = sig[i - 1]
            r0 = (lam(s0) - lam(s1)) / h
            D1_0 = (outs[-1] - outs[-2]) / r0
            if k == 2:
                D = [outs[-1], D1_0]
            else:
                s2 = sig[i - 2]
                r1 = (lam(s1) - lam(s2)) / h
                D1_1 = (outs[-2] - outs[-3]) / r1
                D = [outs[-1], D1_0 + r0 / (r0 + r1) * (D1_0 - D1_1), (D1_0 - D1_1) / (r0 + r1)]
        if plus:
            phi1 = math.expm1(-h) if math.isfinite(h) else -1.0  # e^{-h} - 1
            prev = (sgt / sg0) * x - at * phi1 * D[0]
            if k == 2 and c["solver_type"] == "midpoint":
                prev = prev - 0.5 * at * phi1 * D[1]
            elif k >= 2:
                prev = prev + at * (phi1 / h + 1.0) * D[1]
            if k == 3:
                prev = prev - at * ((phi1 + h) / h ** 2 - 0.5) * D[2]
        else:
            phi1 = math.expm1(h)  # e^{h} - 1
            prev = (at / a0) * x - sgt * phi1 * D[0]
            if k == 2 and c["solver_type"] == "midpoint":
                prev = prev - 0.5 * sgt * phi1 * D[1]
            elif k >= 2:
                prev = prev - sgt * (phi1 / h - 1.0) * D[1]
            if k == 3:
                prev = prev - sgt * ((phi1 - h) / h ** 2 - 0.5) * D[2]
        tr.add(prev, x0)
        x = prev
        taken += 1
    return x, ts, sig32, 1.0


def dpm_add_noise(c, steps, x0, z, idx):
    ac = alphas_cumprod("dpm", c)
    _, sig32 = dpm_schedule(c, steps, ac)
    s = float(sig32[idx])
    a = 1.0 / math.sqrt(s * s + 1)
    return a * x0 + s * a * z


RUNNERS = {"ddim": run_ddim, "pndm": run_pndm, "lms": run_lms, "euler": run_euler, "dpm": run_dpm}


def start_index(steps, strength):
    init_t = min(int(steps * strength), steps)
    return max(steps - init_t, 0)


def make_case(name, kind, cfg, steps, opts=None, strength=None):
    opts = opts or {}
    c = resolve(kind, cfg)
    z = initial_noise().astype(np.float64)
    tr = Trace()
    case = {"name": name, "scheduler": kind, "config": cfg, "steps": steps, "options": opts}
    if strength is None:
        start = 0
        # init_noise_sigma scales the initial noise
        probe = RUNNERS[kind](c, steps, z.copy(), len(z) * 10 ** 6, opts, Trace())  # schedule only
        x = z * probe[3]
    else:
        start = start_index(steps, strength)
        img = init_image().astype(np.float64)
        if kind in ("ddim", "pndm"):
            x = ddim_add_noise(c, steps, img, z, start, kind)
        elif kind == "dpm":
            x = dpm_add_noise(c, steps, img, z, start)
        else:
            x = sigma_add_noise(kind, c, steps, img, z, start)
        case["strength"] = strength
        case["start_index"] = start
        case["noised"] = x.astype(np.float32).tolist()
    final, ts, sig, init = RUNNERS[kind](c, steps, x, start, opts, tr)
    case.update({
        "timesteps": [float(t) for t in ts],
        "sigmas": None if sig is None else [float(s) for s in sig],
        "init_noise_sigma": float(init),
        "final_sample": [float(v) for v in final],
        "final_x0": [float(v) for v in tr.x0],
        "prev_sums": tr.prev_sums,
        "x0_sums": tr.x0_sums,
    })
    return case


def cases():
    sd = SD15
    pixart = {"_class_name": "DPMSolverMultistepScheduler"}  # diffusers' defaults = PixArt-alpha's
    thr = dict(thresholding=True, dynamic_thresholding_ratio=0.9, sample_max_value=2.0)
    out = []
    # -- real SD v1.5 config, 20 and 50 steps, every scheduler
    for kind in ("ddim", "pndm", "lms", "euler", "dpm"):
        for steps in (20, 50):
            out.append(make_case(f"{kind}_sd15_{steps}", kind, sd, steps))
    # -- DPM-Solver++ with its own defaults (PixArt-alpha)
    out.append(make_case("dpm_pixart_20", "dpm", pixart, 20))
    # -- DDIM variants
    out.append(make_case("ddim_v_prediction", "ddim", dict(sd, prediction_type="v_prediction"), 20))
    out.append(make_case("ddim_sample_prediction", "ddim", dict(sd, prediction_type="sample"), 20))
    out.append(make_case("ddim_set_alpha_to_one", "ddim", dict(sd, set_alpha_to_one=True), 20))
    out.append(make_case("ddim_class_defaults", "ddim", {"_class_name": "DDIMScheduler"}, 20))
    out.append(make_case("ddim_thresholding", "ddim", dict(sd, **thr), 20))
    out.append(make_case("ddim_clip_sample", "ddim", dict(sd, clip_sample=True, clip_sample_range=1.5), 20))
    out.append(make_case("ddim_eta", "ddim", sd, 20, {"eta": 0.7}))
    out.append(make_case("ddim_eta_clipped_output", "ddim", dict(sd, clip_sample=True), 20,
                         {"eta": 0.3, "use_clipped_model_output": True}))
    out.append(make_case("ddim_linspace", "ddim", dict(sd, timestep_spacing="linspace"), 20))
    out.append(make_case("ddim_trailing", "ddim", dict(sd, timestep_spacing="trailing"), 7))
    out.append(make_case("ddim_squaredcos", "ddim", dict(sd, beta_schedule="squaredcos_cap_v2"), 20))
    out.append(make_case("ddim_zero_snr", "ddim", dict(sd, rescale_betas_zero_snr=True, timestep_spacing="trailing",
                                                       prediction_type="v_prediction"), 20))
    out.append(make_case("ddim_img2img", "ddim", sd, 50, strength=0.6))
    # -- PNDM variants
    out.append(make_case("pndm_prk", "pndm", dict(sd, skip_prk_steps=False), 20))
    out.append(make_case("pndm_v_prediction", "pndm", dict(sd, prediction_type="v_prediction"), 20))
    out.append(make_case("pndm_set_alpha_to_one", "pndm", dict(sd, set_alpha_to_one=True), 20))
    out.append(make_case("pndm_img2img", "pndm", sd, 50, strength=0.5))
    # -- LMS variants
    out.append(make_case("lms_karras", "lms", dict(sd, use_karras_sigmas=True), 20))
    out.append(make_case("lms_v_prediction", "lms", dict(sd, prediction_type="v_prediction"), 20))
    out.append(make_case("lms_sample_prediction", "lms", dict(sd, prediction_type="sample"), 20))
    out.append(make_case("lms_leading", "lms", dict(sd, timestep_spacing="leading"), 20))
    out.append(make_case("lms_img2img", "lms", sd, 50, strength=0.6))
    # -- Euler variants
    out.append(make_case("euler_karras", "euler", dict(sd, use_karras_sigmas=True), 20))
    out.append(make_case("euler_v_prediction", "euler", dict(sd, prediction_type="v_prediction"), 20))
    out.append(make_case("euler_sample_prediction", "euler", dict(sd, prediction_type="sample"), 20))
    out.append(make_case("euler_trailing_sigma_min", "euler", dict(sd, timestep_spacing="trailing",
                                                                   final_sigmas_type="sigma_min"), 20))
    out.append(make_case("euler_leading", "euler", dict(sd, timestep_spacing="leading"), 20))
    out.append(make_case("euler_churn", "euler", sd, 20, {"s_churn": 2.0, "s_tmin": 0.5, "s_tmax": 8.0,
                                                          "s_noise": 1.003}))
    out.append(make_case("euler_img2img", "euler", sd, 50, strength=0.6))
    # -- DPM-Solver variants
    for order in (1, 2, 3):
        out.append(make_case(f"dpm_order{order}", "dpm", dict(sd, solver_order=order), 20))
    out.append(make_case("dpm_order3_10steps", "dpm", dict(sd, solver_order=3), 10))
    out.append(make_case("dpm_heun", "dpm", dict(sd, solver_type="heun"), 20))
    out.append(make_case("dpm_dpmsolver_midpoint", "dpm", dict(sd, algorithm_type="dpmsolver",
                                                               final_sigmas_type="sigma_min"), 20))
    out.append(make_case("dpm_dpmsolver_heun", "dpm", dict(sd, algorithm_type="dpmsolver", solver_type="heun",
                                                           final_sigmas_type="sigma_min"), 20))
    out.append(make_case("dpm_dpmsolver_order3", "dpm", dict(sd, algorithm_type="dpmsolver", solver_order=3,
                                                             final_sigmas_type="sigma_min"), 10))
    out.append(make_case("dpm_karras", "dpm", dict(sd, use_karras_sigmas=True), 20))
    out.append(make_case("dpm_karras_squaredcos", "dpm", dict(pixart, use_karras_sigmas=True,
                                                              beta_schedule="squaredcos_cap_v2"), 20))
    out.append(make_case("dpm_sigma_min_no_lower_final", "dpm", dict(sd, final_sigmas_type="sigma_min",
                                                                     lower_order_final=False), 10))
    out.append(make_case("dpm_euler_at_final", "dpm", dict(sd, final_sigmas_type="sigma_min",
                                                           euler_at_final=True), 20))
    out.append(make_case("dpm_thresholding", "dpm", dict(sd, **thr), 20))
    out.append(make_case("dpm_dpmsolver_thresholding", "dpm", dict(sd, algorithm_type="dpmsolver",
                                                                   final_sigmas_type="sigma_min", **thr), 20))
    out.append(make_case("dpm_v_prediction", "dpm", dict(sd, prediction_type="v_prediction"), 20))
    out.append(make_case("dpm_sample_prediction", "dpm", dict(sd, prediction_type="sample"), 20))
    out.append(make_case("dpm_lambda_min_clipped", "dpm", dict(pixart, lambda_min_clipped=-4.3), 20))
    out.append(make_case("dpm_leading", "dpm", dict(sd, timestep_spacing="leading"), 20))
    out.append(make_case("dpm_trailing", "dpm", dict(sd, timestep_spacing="trailing"), 20))
    out.append(make_case("dpm_zero_snr", "dpm", dict(sd, rescale_betas_zero_snr=True, timestep_spacing="trailing",
                                                     prediction_type="v_prediction"), 20))
    out.append(make_case("dpm_img2img", "dpm", sd, 20, strength=0.5))
    return out


def main():
    doc = {
        "generator": "tests/OrtDiffusion.Tests/Fixtures/schedulers/make_reference.py",
        "model": "f(x, t) = 0.1 x + 0.5 sin(t / 100 + x), applied to the scaled model input",
        "noise": "call k: 1.1 sin(0.37 i + 1.31 k + 0.2), element i, rounded to float32",
        "shape": SHAPE,
        "initial_noise": initial_noise().tolist(),
        "init_image": init_image().tolist(),
        "cases": cases(),
    }
    # 10 significant digits keep the file small and are far below the float32 tolerances used.
    json.dump(shorten(doc), sys.stdout, separators=(",", ":"))


def shorten(v):
    if isinstance(v, float) and math.isfinite(v):
        return float(f"{v:.10g}")
    if isinstance(v, list):
        return [shorten(x) for x in v]
    if isinstance(v, dict):
        return {k: shorten(x) for k, x in v.items()}
    return v


if __name__ == "__main__":
    main()

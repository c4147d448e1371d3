#!/usr/bin/python3
"""numpy/scikit-learn version of `probe-trainer fit`: the same fits on the same .npy files.

What a user would write instead of the Java trainer, timed beside it by benchmarks/run-fit.sh.
Per layer: a stratified hold-out split; on the training part DIM, Ledoit-Wolf pooled covariance + Fisher direction,
StandardScaler + LogisticRegression(C=1.0) and the same on shuffled labels (selectivity), Mahalanobis distances
(the exact inverse when d <= --exact-max-dim, as the Java fitter stores the
exact factor only then; otherwise the top-k eigen low-rank form with an isotropic remainder), CAST condition vector with its threshold grid, PCA reading vector,
held-out AUCs; then the published fit on all rows (DIM, covariance, Fisher, probe, inverse, eigenpairs).
Usage: fit_reference.py HARMFUL.npy HARMLESS.npy [--k 64] [--holdout 0.25] [--exact-max-dim 1024]
Prints one JSON line with the wall time, the load time, per-layer seconds and the peak RSS.
"""
import json
import resource
import sys
import time

import numpy as np
import scipy.linalg
from sklearn.covariance import LedoitWolf
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, f1_score
from sklearn.preprocessing import StandardScaler


def pooled_lw(h, s):
    x = np.vstack([h - h.mean(0), s - s.mean(0)])
    lw = LedoitWolf(assume_centered=True).fit(x)
    return lw.covariance_, lw.shrinkage_


def probe(xtr, ytr):
    sc = StandardScaler().fit(xtr)
    lr = LogisticRegression(C=1.0, max_iter=1000).fit(sc.transform(xtr), ytr)
    return sc, lr


def first_pc(x):
    xc = x - x.mean(0)
    _, _, vt = np.linalg.svd(xc, full_matrices=False)
    return vt[0]


def mahalanobis(cov, vals, vecs, k, exact):
    """Distance function to a class mean: exact Σ⁻¹, or top-k eigenpairs + isotropic remainder (as the Java fitter)."""
    if exact:
        prec = np.linalg.inv(cov)
        return lambda x, m: np.sqrt(np.einsum("ij,jk,ik->i", x - m, prec, x - m))
    d = cov.shape[0]
    lam, v = vals[-k:], vecs[:, -k:]
    rem = (np.trace(cov) - lam.sum()) / (d - k)
    coef = 1.0 / lam - 1.0 / rem

    def dist(x, m):
        e = x - m
        p = e @ v
        return np.sqrt(np.maximum((e * e).sum(1) / rem + (p * p) @ coef, 0))
    return dist


def fit_layer(h, s, k, holdout, exact, rng):
    out = {}
    nh, ns = len(h), len(s)
    ih, is_ = rng.permutation(nh), rng.permutation(ns)
    th, ts = int(round(nh * (1 - holdout))), int(round(ns * (1 - holdout)))
    htr, hte, str_, ste = h[ih[:th]], h[ih[th:]], s[is_[:ts]], s[is_[ts:]]
    xte = np.vstack([hte, ste]); yte = np.r_[np.ones(len(hte)), np.zeros(len(ste))]
    xtr = np.vstack([htr, str_]); ytr = np.r_[np.ones(len(htr)), np.zeros(len(str_))]

    r = htr.mean(0) - str_.mean(0); r /= np.linalg.norm(r)
    out["dim_auc"] = roc_auc_score(yte, xte @ r)
    cov, shrink = pooled_lw(htr, str_)
    w = np.linalg.solve(cov, htr.mean(0) - str_.mean(0)); w /= np.linalg.norm(w)
    out["fisher_auc"] = roc_auc_score(yte, xte @ w)
    out["shrinkage"] = shrink
    sc, lr = probe(xtr, ytr)
    p = lr.predict_proba(sc.transform(xte))[:, 1]
    out["probe_auc"] = roc_auc_score(yte, p)
    acc = ((p >= 0.5) == yte).mean()
    sc2, lr2 = probe(xtr, rng.permutation(ytr))
    acc2 = ((lr2.predict_proba(sc2.transform(xte))[:, 1] >= 0.5) == yte).mean()
    out["selectivity"] = acc - acc2
    # One symmetric eigendecomposition serves the condition number and the low-rank form (what a numpy user writes).
    vals, vecs = scipy.linalg.eigh(cov)
    out["condition_number"] = vals[-1] / vals[0]
    maha = mahalanobis(cov, vals, vecs, k, exact)
    dh, ds = maha(xte, htr.mean(0)), maha(xte, str_.mean(0))
    out["mahalanobis_auc"] = roc_auc_score(yte, ds - dh)
    mid = (htr.mean(0) + str_.mean(0)) / 2
    c = first_pc(xtr - mid)
    if (htr @ c).mean() < (str_ @ c).mean():
        c = -c
    pc = np.outer(c, c) / (c @ c)
    t = np.tanh(xte @ pc)
    sim = (xte * t).sum(1) / (np.linalg.norm(xte, axis=1) * np.linalg.norm(t, axis=1))
    best = (-1, 0, True)
    for theta in np.arange(sim.min(), sim.max(), 0.001):
        for above in (True, False):
            f = f1_score(yte, (sim > theta) if above else (sim < theta), zero_division=0)
            if f > best[0]:
                best = (f, theta, above)
    out["cast_f1"] = best[0]
    m = min(len(htr), len(str_))
    diffs = htr[rng.permutation(len(htr))[:m]] - str_[rng.permutation(len(str_))[:m]]
    v = first_pc(diffs)
    out["pca_auc"] = max(roc_auc_score(yte, xte @ v), roc_auc_score(yte, -(xte @ v)))

    # The published fit, on all rows.
    r_all = h.mean(0) - s.mean(0)
    cov_all, _ = pooled_lw(h, s)
    np.linalg.solve(cov_all, r_all)
    probe(np.vstack([h, s]), np.r_[np.ones(nh), np.zeros(ns)])
    vals, vecs = scipy.linalg.eigh(cov_all)
    if exact:
        np.linalg.inv(cov_all)
    _ = vecs[:, -k:], vals[-k:]
    c_all = first_pc(np.vstack([h, s]) - (h.mean(0) + s.mean(0)) / 2)
    return out


def main():
    args = sys.argv[1:]
    k = int(args[args.index("--k") + 1]) if "--k" in args else 64
    holdout = float(args[args.index("--holdout") + 1]) if "--holdout" in args else 0.25
    exact_max_dim = int(args[args.index("--exact-max-dim") + 1]) if "--exact-max-dim" in args else 1024
    t0 = time.time()
    h = np.load(args[0]).astype(np.float64)
    s = np.load(args[1]).astype(np.float64)
    if h.ndim == 2:
        h, s = h[:, None, :], s[:, None, :]
    load = time.time() - t0
    exact = h.shape[2] <= exact_max_dim
    rng = np.random.default_rng(7)
    layers, layer_secs = [], []
    for l in range(h.shape[1]):
        tl = time.time()
        layers.append(fit_layer(h[:, l, :], s[:, l, :], k, holdout, exact, rng))
        layer_secs.append(time.time() - tl)
    secs = time.time() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": secs, "load_seconds": load, "layer_seconds": layer_secs, "exact": exact,
                      "peak_rss_bytes": rss, "layers": layers}))


if __name__ == "__main__":
    main()

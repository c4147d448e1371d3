#!/usr/bin/python3
"""Fits the coefficients of FloatKernels.tanh(float) (run with Debian's /usr/bin/python3 and numpy; ~1 minute).

tanh(y) = y * P(y^2) / Q(y^2) for |y| <= B = 9 (beyond, |tanh y - 1| < 3.1e-8 and y is clamped to +-B), with
deg P = deg Q = 4, P(0) = Q(0) = 1 so tanh(y) is exactly y for tiny y. The fit minimises the maximum relative error
of P/Q against g(u) = tanh(sqrt u)/sqrt u on u in [0, 81]: Lawson's iteratively reweighted least squares on the
linearised residual P - g Q, repeated with the weight 1/(g Q) of the previous denominator. Prints the f32 literals
and the float-evaluation error over every 64th float bit pattern in [0, 20] (Horner with fma emulated in double).
"""
import numpy as np

B, M, N = 9.0, 4, 4
y = np.unique(np.concatenate([np.linspace(0, B, 20000), np.geomspace(1e-4, B, 20000)]))
u = y * y
g = np.where(y == 0, 1.0, np.tanh(y) / np.where(y == 0, 1, y))
s = B * B
t = u / s  # fit in t = u / 81 (better conditioned), unscale at the end
A = np.hstack([np.vstack([t ** k for k in range(1, M + 1)]).T, np.vstack([-(g * t ** k) for k in range(1, N + 1)]).T])
rhs = g - 1.0  # P(0) = Q(0) = 1 fixed
q_prev = np.ones_like(u)
best = None
for outer in range(30):
    scale = 1.0 / (g * q_prev)
    w = np.ones_like(u) / len(u)
    for it in range(300):
        sw = np.sqrt(w) * scale
        coef, *_ = np.linalg.lstsq(A * sw[:, None], rhs * sw, rcond=None)
        r = np.abs(A @ coef - rhs) * scale
        w = w * r
        w /= w.sum()
    p = np.concatenate([[1.0], coef[:M]])
    q = np.concatenate([[1.0], coef[M:]])
    q_prev = np.polyval(q[::-1], t)
    err = np.max(np.abs(np.polyval(p[::-1], t) / q_prev / g - 1))
    if best is None or err < best[0]:
        best = (err, p.copy(), q.copy())
err, p, q = best
P = [np.float32(c / s ** k) for k, c in enumerate(p)]
Q = [np.float32(c / s ** k) for k, c in enumerate(q)]
print("max relative error of P/Q in double:", err)
print("P:", ", ".join(repr(float(c)) + "f" for c in P))
print("Q:", ", ".join(repr(float(c)) + "f" for c in Q))


def fma(a, b, c):  # a*b is exact in double; the double rounding of + c is negligible for this check
    return (a.astype(np.float64) * b.astype(np.float64) + c.astype(np.float64)).astype(np.float32)


bits = np.arange(0, 0x41a00001, 64, dtype=np.uint32)  # every 64th float in [0, 20]
x = bits.view(np.float32)
yc = np.minimum(np.maximum(x, np.float32(-B)), np.float32(B))
uc = yc * yc
pv = np.full_like(uc, P[-1])
for c in P[-2::-1]:
    pv = fma(pv, uc, np.full_like(uc, c))
qv = np.full_like(uc, Q[-1])
for c in Q[-2::-1]:
    qv = fma(qv, uc, np.full_like(uc, c))
tv = (yc * pv) / qv
e = np.abs(tv.astype(np.float64) - np.tanh(x.astype(np.float64)))
print("max abs error of the f32 evaluation:", e.max(), "at y =", x[np.argmax(e)])

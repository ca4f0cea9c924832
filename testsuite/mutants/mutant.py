#!/usr/bin/env python3
"""testsuite/mutants/mutant.py BUG: the numpy adapter (testsuite/adapters/numpy_adapter.py)
with ONE classic bug patched in, for `make check` to show that the conformance runner rejects
every one and names it. The bugs and the hint each must get are in mutants.txt beside this."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adapters"))
import numpy_adapter as na  # noqa: E402

BUG = sys.argv[1] if len(sys.argv) > 1 else ""
output, gradient, forward = na.output, na.gradient, na.forward


def patched_output(cost, z, a, y, f):
    per, d = output(cost, z, a, y, f)
    if BUG == "sign":
        d = -d
    elif BUG == "sigma-prime-missing" and cost == "quadratic":
        d = a - y
    elif BUG == "sigma-prime-on-top" and cost != "quadratic":
        d = d * a * (1 - a)
    elif BUG == "factor-2" and cost == "quadratic":
        d = 2 * d
    elif BUG == "ln-zero" and cost == "loglik":
        per = -(y * np.log(a) + (1 - y) * np.log(1 - a)).sum(axis=1)
    return per, d


def patched_forward(W, b, x, cost, fs):
    if BUG != "softmax-no-max" or cost != "cross-entropy":
        return forward(W, b, x, cost, fs)
    zs, acts = forward(W[:-1], b[:-1], x, "quadratic", fs[:-1]) if len(W) > 1 else ([], [x])
    z = acts[-1] @ W[-1].T + b[-1]
    e = np.exp(z)  # no max subtracted: e^{1000} = inf
    return zs + [z], acts + [e / e.sum(axis=1, keepdims=True)]


STALE = {}


def patched_gradient(req):
    if BUG == "sum-for-mean":
        req["model"]["reduction"] = "sum"
    W, b, cost, gW, gb, zs, acts, deltas = gradient(req)
    scale = 1.0 / len(acts[0]) if req["model"]["reduction"] == "mean" else 1.0
    if BUG == "bias-not-summed":
        gb = [scale * D[-1] for D in deltas]
    elif BUG == "hidden-delta-halved" and len(W) > 1:
        gW[0], gb[0] = 0.5 * gW[0], 0.5 * gb[0]
    elif BUG == "off-by-one-layer" and len(W) > 1:
        gW[0], gb[0] = 0 * gW[0], 0 * gb[0]
    elif BUG == "one-wrong-entry":
        gW[0][0, 0] += 1e-3 * np.abs(gW[0]).max()
    elif BUG == "stale":
        previous = STALE.get("g")
        STALE["g"] = (gW, gb)
        if previous:
            gW, gb = previous
    return W, b, cost, gW, gb, zs, acts, deltas


def patched_answer(req):
    out = answer(req)
    if BUG in ("transposed", "wrong-layer-activations") and "grad" in out:
        _, _, _, gW, _, _, acts, deltas = gradient(req)  # the step stays right
        scale = 1.0 / len(acts[0]) if req["model"]["reduction"] == "mean" else 1.0
        if BUG == "transposed":
            out["grad"]["W"] = [g.T.tolist() for g in gW]
        else:  # a^L for a^{L-1} in the last layer's dC/dW
            out["grad"]["W"][-1] = (scale * (deltas[-1].T @ acts[-1])).tolist()
    if BUG in ("step-added", "eta-not-over-m") and "step" in out:
        W, b, _, gW, gb, _, acts, _ = patched_gradient(req)
        eta = req["eta"] * (-1 if BUG == "step-added" else len(acts[0]))
        out["step"] = {"W": [(w - eta * g).tolist() for w, g in zip(W, gW)],
                       "b": [(v - eta * g).tolist() for v, g in zip(b, gb)]}
    return out


class Float32Numpy:
    """numpy whose arrays are float32: single precision throughout the adapter"""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def array(x, dtype=None):  # pylint: disable=unused-argument
        return np.array(x, dtype=np.float32)

    asarray = array  # the adapter takes lists or (binary frames) arrays through asarray


answer = na.answer
na.output, na.forward, na.gradient, na.answer = patched_output, patched_forward, patched_gradient, patched_answer
if BUG == "sigma-prime-of-a":
    na.sigmoid_prime = lambda z: na.sigmoid(na.sigmoid(z)) * na.sigmoid(-na.sigmoid(z))
if BUG == "float32":
    na.np = Float32Numpy()
na.main()

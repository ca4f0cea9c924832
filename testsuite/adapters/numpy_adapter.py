#!/usr/bin/env python3
"""testsuite/adapters/numpy_adapter.py: bpcheck-protocol (testsuite/PROTOCOL.md) in Python with
numpy, written from the equations, independently of the C reference. Batches have one row per
sample: Z^l = A^{l-1} W^l^T + b^l; A^l = f(Z^l), f the layer's activation (sigmoid by default,
softmax rows at a cross-entropy output); D^l = (D^{l+1} W^{l+1}) * f'(Z^l); dC/dW^l = D^l^T A^{l-1}; dC/db^l = D^l's column sums;
both / m for the mean.

A TEMPLATE: copy this file, and replace the body of `gradient` (marked YOUR CODE) with a call
into your implementation, converting to and from these layouts. The protocol loop is in
the bpcheck package (bpcheck.protocol), or where it is not installed in bpcheck_protocol.py
beside this file."""
import os
import sys

import numpy as np

try:
    from bpcheck import protocol as bp  # the bpcheck package: pip install testsuite/python
except ImportError:  # not installed: bpcheck_protocol.py, the same module, beside this file
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bpcheck_protocol as bp


def sigmoid(z):
    e = np.exp(-np.abs(z))  # never overflows; the two branches of 1/(1+e^-z)
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_prime(z):
    return sigmoid(z) * sigmoid(-z)  # sigma (1 - sigma), with 1 - sigma(z) = sigma(-z) exactly


# The activations a layer may declare (model.activations), each with its derivative: relu'(0) = 0
# and leaky-relu'(0) = slope, the left derivative (PROTOCOL.md).
def activation(name, slope):
    if name == "sigmoid":
        return sigmoid, sigmoid_prime
    if name == "tanh":
        return np.tanh, lambda z: 1.0 / np.cosh(z) ** 2  # sech^2: no cancellation near +-1
    if name == "relu":
        return lambda z: np.where(z > 0, z, 0.0), lambda z: np.where(z > 0, 1.0, 0.0)
    if name == "leaky-relu":
        return lambda z: np.where(z > 0, z, slope * z), lambda z: np.where(z > 0, 1.0, slope)
    if name == "identity":
        return lambda z: z, lambda z: np.ones_like(z)
    raise bp.Unsupported("no " + name + " layers")


def layer_functions(model):
    """(f, f') per layer 1..L; softmax at a cross-entropy output is handled with its cost."""
    names, slope = bp.activations(model)
    return [None if n == "softmax" else activation(n, slope) for n in names]


def softplus(x):
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))  # ln(1 + e^x) without overflow


def forward(W, b, x, cost, fs):
    zs, acts = [], [x]
    for l, (Wl, bl) in enumerate(zip(W, b)):
        z = acts[-1] @ Wl.T + bl
        if fs[l] is None:  # softmax
            e = np.exp(z - z.max(axis=1, keepdims=True))  # the max subtracted: no overflow
            a = e / e.sum(axis=1, keepdims=True)
        else:
            a = fs[l][0](z)
        zs, acts = zs + [z], acts + [a]
    return zs, acts


def output(cost, z, a, y, f):
    """The cost of each sample and D^L = dC_x/dz^L."""
    if cost == "quadratic":
        return 0.5 * ((y - a) ** 2).sum(axis=1), (a - y) * f[1](z)
    if cost == "loglik":  # -[y ln a + (1-y) ln(1-a)] with ln a = -softplus(-z)
        per = (y * softplus(-z) + (1 - y) * softplus(z)).sum(axis=1)
        return per, (1 - y) * sigmoid(z) - y * sigmoid(-z)  # a - y, without cancellation
    m = z.max(axis=1, keepdims=True)
    log_a = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    return -(y * log_a).sum(axis=1), a - y


def gradient(req):
    # ---- YOUR CODE: from here to the return, call your implementation instead ----
    cost, reduction = req["model"]["cost"], req["model"]["reduction"]
    # lists (JSON lines) or numpy arrays already (binary frames): asarray takes both
    W = [np.asarray(w, dtype=float) for w in req["params"]["W"]]
    b = [np.asarray(v, dtype=float) for v in req["params"]["b"]]
    x, y = np.asarray(req["batch"]["x"], dtype=float), np.asarray(req["batch"]["y"], dtype=float)
    fs = layer_functions(req["model"])
    zs, acts = forward(W, b, x, cost, fs)
    per, d = output(cost, zs[-1], acts[-1], y, fs[-1])
    deltas = [d]
    for l in range(len(W) - 1, 0, -1):
        d = (d @ W[l]) * fs[l - 1][1](zs[l - 1])
        deltas.insert(0, d)
    scale = 1.0 / len(x) if reduction == "mean" else 1.0
    gW = [scale * (D.T @ A) for D, A in zip(deltas, acts[:-1])]
    gb = [scale * D.sum(axis=0) for D in deltas]
    return W, b, scale * per.sum(), gW, gb, zs, acts[1:], deltas
    # ---- end of YOUR CODE ----


def answer(req):
    W, b, cost, gW, gb, zs, acts, deltas = gradient(req)
    eta = req["eta"]
    want = req.get("want", bp.WANT_DEFAULT)
    # numpy arrays: the protocol loop writes them as JSON lists, or as raw bytes in a frame
    have = {
        "cost": lambda: float(cost),
        "grad": lambda: {"W": gW, "b": gb},
        "step": lambda: {"W": [w - eta * g for w, g in zip(W, gW)],
                         "b": [v - eta * g for v, g in zip(b, gb)]},
        "z": lambda: zs,
        "a": lambda: acts,
        "delta": lambda: deltas,
    }
    return {k: have[k]() for k in want if k in have}


def main():
    np.seterr(all="ignore")  # an overflow is reported through the answer, not a warning
    # every model, activation, reduction and quantity of the protocol, in float64
    bp.serve(answer, capabilities={"costs": ["quadratic", "loglik", "cross-entropy"],
                                   "activations": list(bp.CAPABILITY_KEYS["activations"]),
                                   "reductions": ["sum", "mean"], "precision": ["float64"]})


if __name__ == "__main__":
    main()

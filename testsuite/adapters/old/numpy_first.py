#!/usr/bin/env python3
"""A stand-in of the numpy adapter of bpcheck's first release (before model.activations):
batched, one row per sample, sigmoid hidden layers, the model's own output."""
import numpy as np

import _old


def sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


def answer(req):
    cost, red = req["model"]["cost"], req["model"]["reduction"]
    W = [np.array(w, dtype=float) for w in req["params"]["W"]]
    b = [np.array(v, dtype=float) for v in req["params"]["b"]]
    x, y = np.array(req["batch"]["x"], dtype=float), np.array(req["batch"]["y"], dtype=float)
    A, Z = [x], []
    for l in range(len(W)):
        Z.append(A[-1] @ W[l].T + b[l])
        if l == len(W) - 1 and cost == "cross-entropy":
            e = np.exp(Z[-1] - Z[-1].max(axis=1, keepdims=True))
            A.append(e / e.sum(axis=1, keepdims=True))
        else:
            A.append(sigmoid(Z[-1]))
    z, a = Z[-1], A[-1]
    if cost == "quadratic":
        C, D = 0.5 * np.sum((a - y) ** 2), (a - y) * sigmoid(z) * sigmoid(-z)
    elif cost == "loglik":
        C = np.sum(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z))
        D = (1 - y) * sigmoid(z) - y * sigmoid(-z)
    else:
        lse = z.max(axis=1, keepdims=True) + np.log(np.exp(z - z.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True))
        C, D = -np.sum(y * (z - lse)), a * y.sum(axis=1, keepdims=True) - y
    k = 1.0 / len(x) if red == "mean" else 1.0
    gW, gb = [None] * len(W), [None] * len(W)
    for l in range(len(W) - 1, -1, -1):
        gW[l], gb[l] = k * D.T @ A[l], k * D.sum(axis=0)
        if l:
            D = (D @ W[l]) * sigmoid(Z[l - 1]) * sigmoid(-Z[l - 1])
    return {"cost": k * C, "grad": {"W": gW, "b": gb}, "step": _old.step(W, b, gW, gb, req["eta"])}


_old.serve(answer, ("quadratic", "loglik", "cross-entropy"))

#!/usr/bin/env python3
"""A stand-in of a wrapper around KANN: kann_layer_dense then kad_sigm, and the cost node
kad_ce_bin (sigmoid output: loglik) or kad_ce_multi (softmax output: cross-entropy), which
KANN averages over the minibatch. The graph is evaluated forward and backward node by node."""
import numpy as np

import _old


def log_sigm(z):  # ln sigma(z), as KANN's kad_ce_bin takes it from the logits
    return -np.logaddexp(0.0, -z)


def answer(req):
    cost = req["model"]["cost"]
    if cost == "quadratic":
        raise _old.Unsupported("the wrapper builds kad_ce_bin or kad_ce_multi, not kad_mse")
    if req["model"]["reduction"] != "mean":
        raise _old.Unsupported("KANN's costs are minibatch means")
    W = [np.array(w, dtype=float) for w in req["params"]["W"]]
    b = [np.array(v, dtype=float) for v in req["params"]["b"]]
    x, y = np.array(req["batch"]["x"], dtype=float), np.array(req["batch"]["y"], dtype=float)
    m, nodes = len(x), [x]
    for l in range(len(W)):
        z = nodes[-1] @ W[l].T + b[l]
        nodes.append(z if l == len(W) - 1 else np.exp(log_sigm(z)))
    z = nodes[-1]
    if cost == "loglik":
        C = -np.sum(y * log_sigm(z) + (1 - y) * log_sigm(-z)) / m
        g = ((1 - y) * np.exp(log_sigm(z)) - y * np.exp(log_sigm(-z))) / m
    else:
        ls = z - z.max(axis=1, keepdims=True)
        ls = ls - np.log(np.exp(ls).sum(axis=1, keepdims=True))
        C = -np.sum(y * ls) / m
        g = (np.exp(ls) * y.sum(axis=1, keepdims=True) - y) / m
    gW, gb = [None] * len(W), [None] * len(W)
    for l in range(len(W) - 1, -1, -1):
        gW[l], gb[l] = g.T @ nodes[l], g.sum(axis=0)
        if l:
            s = nodes[l]
            g = (g @ W[l]) * s * (1 - s)  # kad_sigm's backward: s (1 - s)
    return {"cost": C, "grad": {"W": gW, "b": gb}, "step": _old.step(W, b, gW, gb, req["eta"])}


_old.serve(answer, ("loglik", "cross-entropy"), ("mean",))

#!/usr/bin/env python3
"""A stand-in of a wrapper around scikit-learn's MLPClassifier._backprop, with
activation='logistic' and alpha=0: a logistic output for multilabel targets (loglik), softmax
for multiclass (cross-entropy); the loss and the gradients are means over the samples, as
_backprop's deltas = activations[-1] - y and coef_grads = a.T @ delta / n_samples. The wrapper
takes the loss from the logits (sklearn's log_loss clips; this one does not)."""
import numpy as np

import _old


def logistic(z):
    return np.exp(-np.logaddexp(0.0, -z))


def answer(req):
    cost = req["model"]["cost"]
    if cost == "quadratic":
        raise _old.Unsupported("MLPClassifier has log-loss only")
    if req["model"]["reduction"] != "mean":
        raise _old.Unsupported("MLPClassifier's loss is a mean over the samples")
    coefs = [np.array(w, dtype=float).T for w in req["params"]["W"]]  # sklearn: n_in x n_out
    inter = [np.array(v, dtype=float) for v in req["params"]["b"]]
    X, Y = np.array(req["batch"]["x"], dtype=float), np.array(req["batch"]["y"], dtype=float)
    n = X.shape[0]
    acts = [X]
    for i in range(len(coefs)):
        acts.append(acts[-1] @ coefs[i] + inter[i])
        if i < len(coefs) - 1:
            acts[-1] = logistic(acts[-1])
    z = acts[-1]
    if cost == "loglik":
        out = logistic(z)
        loss = np.sum(Y * np.logaddexp(0, -z) + (1 - Y) * np.logaddexp(0, z)) / n
        delta = (1 - Y) * out - Y * logistic(-z)
    else:
        s = z - z.max(axis=1, keepdims=True)
        logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
        loss, delta = -np.sum(Y * logp) / n, np.exp(logp) * Y.sum(axis=1, keepdims=True) - Y
    coef_grads, inter_grads = [None] * len(coefs), [None] * len(coefs)
    for i in range(len(coefs) - 1, -1, -1):
        coef_grads[i], inter_grads[i] = acts[i].T @ delta / n, delta.mean(axis=0)
        if i:
            delta = (delta @ coefs[i].T) * acts[i] * (1 - acts[i])  # inplace_logistic_derivative
    W, gW = [c.T for c in coefs], [g.T for g in coef_grads]
    return {"cost": loss, "grad": {"W": gW, "b": inter_grads},
            "step": _old.step(W, inter, gW, inter_grads, req["eta"])}


_old.serve(answer, ("loglik", "cross-entropy"), ("mean",))

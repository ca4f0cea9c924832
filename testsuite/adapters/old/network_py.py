#!/usr/bin/env python3
"""A stand-in of a wrapper around Michael Nielsen's network.py: its backprop(x, y), sample by
sample with column vectors, the quadratic cost (cost_derivative = a - y), summed over the
batch as update_mini_batch sums nabla_b and nabla_w."""
import numpy as np

import _old


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


def backprop(weights, biases, x, y):
    nabla_b = [np.zeros(b.shape) for b in biases]
    nabla_w = [np.zeros(w.shape) for w in weights]
    activation, activations, zs = x, [x], []
    for b, w in zip(biases, weights):
        z = np.dot(w, activation) + b
        zs.append(z)
        activation = sigmoid(z)
        activations.append(activation)
    delta = (activations[-1] - y) * sigmoid_prime(zs[-1])
    nabla_b[-1], nabla_w[-1] = delta, np.dot(delta, activations[-2].transpose())
    for l in range(2, len(weights) + 1):
        delta = np.dot(weights[-l + 1].transpose(), delta) * sigmoid_prime(zs[-l])
        nabla_b[-l], nabla_w[-l] = delta, np.dot(delta, activations[-l - 1].transpose())
    return nabla_b, nabla_w, 0.5 * float(np.sum((activations[-1] - y) ** 2))


def answer(req):
    if req["model"]["cost"] != "quadratic":
        raise _old.Unsupported("network.py has the quadratic cost only")
    weights = [np.array(w, dtype=float) for w in req["params"]["W"]]
    biases = [np.array(v, dtype=float).reshape(-1, 1) for v in req["params"]["b"]]
    gw, gb, C = [np.zeros(w.shape) for w in weights], [np.zeros(b.shape) for b in biases], 0.0
    with np.errstate(over="ignore"):  # e^-z overflows to inf, and sigmoid to 0, as it should
        for xs, ys in zip(req["batch"]["x"], req["batch"]["y"]):
            nb, nw, c = backprop(weights, biases, np.array(xs, dtype=float).reshape(-1, 1),
                                 np.array(ys, dtype=float).reshape(-1, 1))
            gw, gb, C = [g + n for g, n in zip(gw, nw)], [g + n for g, n in zip(gb, nb)], C + c
    k = 1.0 / len(req["batch"]["x"]) if req["model"]["reduction"] == "mean" else 1.0
    gW, gB = [k * g for g in gw], [k * g.ravel() for g in gb]
    B = [v.ravel() for v in biases]
    return {"cost": k * C, "grad": {"W": gW, "b": gB}, "step": _old.step(weights, B, gW, gB, req["eta"])}


_old.serve(answer, ("quadratic",))

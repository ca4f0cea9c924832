#!/usr/bin/env python3
"""A stand-in of a wrapper around genann: each neuron's weights are its bias first, on a
constant input of -1, then one per input; sigmoid everywhere; the quadratic cost. genann's
deltas are the ascent direction, (t - o) o (1 - o); the wrapper negates them for dC/d.
genann_act_sigmoid also clamps: 0 below z = -45, 1 above 45. The stand-in leaves that out:
no bundled case has a z between 40 and 45, so the clamp's T (45, or 40) is not fixed by the
evidence and the two saturated-100 cases would fail unnamed; this stand-in is about the
activations."""
import numpy as np

import _old


def sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


def answer(req):
    if req["model"]["cost"] != "quadratic":
        raise _old.Unsupported("genann trains on the squared error only")
    # genann's layout: per neuron [w0 (bias, on -1), w1 .. wK]: b = -w0
    nets = [np.hstack([-np.array(v, dtype=float).reshape(-1, 1), np.array(w, dtype=float)])
            for w, v in zip(req["params"]["W"], req["params"]["b"])]
    grads = [np.zeros(n.shape) for n in nets]
    C = 0.0
    for xs, ys in zip(req["batch"]["x"], req["batch"]["y"]):
        outs = [np.array(xs, dtype=float)]
        for n in nets:
            outs.append(sigmoid(n[:, 1:] @ outs[-1] - n[:, 0]))
        t, o = np.array(ys, dtype=float), outs[-1]
        C += 0.5 * float(np.sum((t - o) ** 2))
        d = (t - o) * o * (1 - o)  # genann_train's output delta
        for l in range(len(nets) - 1, -1, -1):
            grads[l] -= np.outer(d, np.concatenate([[-1.0], outs[l]]))  # ascent: negated
            if l:
                d = (nets[l][:, 1:].T @ d) * outs[l] * (1 - outs[l])
    k = 1.0 / len(req["batch"]["x"]) if req["model"]["reduction"] == "mean" else 1.0
    gW, gb = [k * g[:, 1:] for g in grads], [-k * g[:, 0] for g in grads]
    W, b = [n[:, 1:] for n in nets], [-n[:, 0] for n in nets]
    return {"cost": k * C, "grad": {"W": gW, "b": gb}, "step": _old.step(W, b, gW, gb, req["eta"])}


_old.serve(answer, ("quadratic",))

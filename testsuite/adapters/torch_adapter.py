#!/usr/bin/env python3
"""testsuite/adapters/torch_adapter.py: bpcheck-protocol (testsuite/PROTOCOL.md) answered by
PyTorch autograd, the way a PyTorch user writes the model: torch.sigmoid hidden layers (or the
layers' declared activations: torch.tanh, torch.relu, F.leaky_relu, identity), and the
costs from torch.nn.functional (binary_cross_entropy_with_logits for loglik, cross_entropy with
probability targets for the softmax), reduced by sum or mean over the batch. Nothing here is
derived by hand: the gradient is loss.backward()'s.

    torch_adapter.py            float64 (run with the default profile)
    torch_adapter.py --float32  every tensor in float32 (run with --profile float32)

It declares its precision at the hello (PROTOCOL.md, "Capabilities"), so that a float32 model
is never judged by the float64 bounds; --no-capabilities declares nothing.

delta^l = dC_x/dz^l per sample is read from z.grad: under the mean reduction autograd gives
delta / m, which is scaled back by m.

A TEMPLATE: copy this file and replace forward_backward's model (marked YOUR CODE) with your
torch.nn.Module, copying the request's W and b into its parameters. The protocol loop is in
the bpcheck package (bpcheck.protocol), or where it is not installed in bpcheck_protocol.py
beside this file."""
import os
import sys

import torch
import torch.nn.functional as F

try:
    from bpcheck import protocol as bp  # the bpcheck package: pip install testsuite/python
except ImportError:  # not installed: bpcheck_protocol.py, the same module, beside this file
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bpcheck_protocol as bp


def activation(name, slope):
    table = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
             "leaky-relu": lambda z: F.leaky_relu(z, negative_slope=slope),
             "identity": lambda z: z, "softmax": lambda z: torch.softmax(z, dim=1)}
    if name not in table:
        raise bp.Unsupported("no " + name + " layers")
    return table[name]


def forward_backward(req, dtype):
    # ---- YOUR CODE: your model's forward pass and loss; autograd does the rest ----
    cost, reduction = req["model"]["cost"], req["model"]["reduction"]
    # as_tensor takes the JSON lines' lists and the binary frames' numpy arrays alike
    W = [torch.as_tensor(w, dtype=dtype).clone().requires_grad_() for w in req["params"]["W"]]
    b = [torch.as_tensor(v, dtype=dtype).clone().requires_grad_() for v in req["params"]["b"]]
    x = torch.as_tensor(req["batch"]["x"], dtype=dtype)
    y = torch.as_tensor(req["batch"]["y"], dtype=dtype)
    names, slope = bp.activations(req["model"])
    fs = [activation(n, slope) for n in names]
    a, zs, acts = x, [], []
    for l, (Wl, bl) in enumerate(zip(W, b)):
        z = a @ Wl.T + bl
        z.retain_grad()
        zs.append(z)
        a = fs[l](z)
        acts.append(a)
    z = zs[-1]
    if cost == "quadratic":
        loss = 0.5 * ((y - a) ** 2).sum(dim=1)
        loss = loss.sum() if reduction == "sum" else loss.mean()
    elif cost == "loglik":
        per = F.binary_cross_entropy_with_logits(z, y, reduction="none").sum(dim=1)
        loss = per.sum() if reduction == "sum" else per.mean()
    else:
        loss = F.cross_entropy(z, y, reduction=reduction)  # y: class probabilities
    # ---- end of YOUR CODE ----
    loss.backward()
    scale = len(x) if reduction == "mean" else 1
    return W, b, loss, zs, acts, [z.grad * scale for z in zs]


def answer(req, dtype):
    W, b, loss, zs, acts, deltas = forward_backward(req, dtype)
    eta = req["eta"]
    # numpy arrays: the protocol loop writes them as JSON lists, or as raw bytes in a frame
    rows = lambda ts: [t.detach().double().numpy() for t in ts]
    with torch.no_grad():
        have = {
            "cost": lambda: float(loss),
            "grad": lambda: {"W": rows(w.grad for w in W), "b": rows(v.grad for v in b)},
            # the step in the working precision, after the whole gradient is formed
            "step": lambda: {"W": rows(w - eta * w.grad for w in W),
                             "b": rows(v - eta * v.grad for v in b)},
            "z": lambda: rows(zs),
            "a": lambda: rows(acts),
            "delta": lambda: rows(deltas),
        }
        return {k: have[k]() for k in req.get("want", bp.WANT_DEFAULT) if k in have}


def main():
    if "-h" in sys.argv or "--help" in sys.argv:
        print(__doc__)
        return
    dtype = torch.float32 if "--float32" in sys.argv[1:] else torch.float64
    torch.set_num_threads(1)  # the runner runs adapters side by side
    # a float32 model takes its arrays in float32 when the runner offers them (--profile
    # float32): the rounding happens in the frame instead of here, to the same float
    frames = ("f32", "f64") if dtype == torch.float32 else ("f64",)
    # what it computes in: a float64 run (--profile float64) skips a float32 model's cases
    # (--no-capabilities declares nothing: t/panel shows the float64 bounds reject float32)
    caps = {"precision": ["float32" if dtype == torch.float32 else "float64"]}
    if "--no-capabilities" in sys.argv[1:]:
        caps = None
    bp.serve(lambda req: answer(req, dtype), frames=frames, capabilities=caps)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A stand-in of a PyTorch adapter written before model.activations: torch.sigmoid layers,
the cost from torch's own stable functions, the gradient by autograd."""
import torch
import torch.nn.functional as F

import _old


def answer(req):
    cost, red = req["model"]["cost"], req["model"]["reduction"]
    W = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in req["params"]["W"]]
    b = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in req["params"]["b"]]
    x = torch.tensor(req["batch"]["x"], dtype=torch.float64)
    y = torch.tensor(req["batch"]["y"], dtype=torch.float64)
    a = x
    for Wl, bl in zip(W[:-1], b[:-1]):
        a = torch.sigmoid(a @ Wl.T + bl)
    z = a @ W[-1].T + b[-1]
    if cost == "quadratic":
        per = 0.5 * ((torch.sigmoid(z) - y) ** 2).sum(dim=1)
    elif cost == "loglik":
        per = F.binary_cross_entropy_with_logits(z, y, reduction="none").sum(dim=1)
    else:
        per = -(y * F.log_softmax(z, dim=1)).sum(dim=1)
    C = per.mean() if red == "mean" else per.sum()
    C.backward()
    gW, gb = [w.grad.numpy() for w in W], [v.grad.numpy() for v in b]
    Wd, bd = [w.detach().numpy() for w in W], [v.detach().numpy() for v in b]
    return {"cost": C.item(), "grad": {"W": gW, "b": gb}, "step": _old.step(Wd, bd, gW, gb, req["eta"])}


torch.set_num_threads(1)
_old.serve(answer, ("quadratic", "loglik", "cross-entropy"))

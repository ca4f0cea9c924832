#!/usr/bin/env python3
"""testsuite/adapters/torch_planted.py: the PyTorch float32 adapter (torch_adapter.py) with one
small deviation planted, the kind that per-entry float32 bounds let through at the sizes users
train (issue 29; t/float32 runs it, fixtures/FORMAT.md "Tensor-wide criteria"):

    scale:T:EPS     the gradient tensor T (W1, b1, W2, ...: dC/dW^1, dC/db^1, ...) times 1 + EPS
    row:T:EPS       the row of dC/dW^l (T = Wl) with the largest norm times 1 + EPS
    shift:T:EPS     EPS times the mean |entry| of T added to each of its entries
    sigmoid:EPS     every hidden sigmoid computed as sigma(z) (1 + EPS), its derivative by
                    autograd through that (a sigmoid with a relative error of EPS)

The step is taken with the planted gradient, as the implementation would.

Usage: torch_planted.py PLANT   (run with --profile float32)"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_adapter as ta  # noqa: E402

PLANT = None


def planted_activation(name, slope):
    f = ORIGINAL_ACTIVATION(name, slope)
    if PLANT[0] == "sigmoid" and name == "sigmoid":
        eps = float(PLANT[1])
        return lambda z: torch.sigmoid(z) * (1.0 + eps)
    return f


def planted_forward_backward(req, dtype):
    W, b, loss, zs, acts, deltas = ORIGINAL_FORWARD_BACKWARD(req, dtype)
    if PLANT[0] in ("scale", "row", "shift"):
        tensor, eps = PLANT[1], float(PLANT[2])
        which = W if tensor[0] == "W" else b
        g = which[int(tensor[1:]) - 1].grad
        with torch.no_grad():
            if PLANT[0] == "scale":
                g.mul_(1.0 + eps)
            elif PLANT[0] == "shift":
                g.add_(eps * float(g.double().abs().mean()))
            else:
                j = int(torch.argmax((g.double() ** 2).sum(dim=1)))
                g[j].mul_(1.0 + eps)
    return W, b, loss, zs, acts, deltas


ORIGINAL_ACTIVATION, ORIGINAL_FORWARD_BACKWARD = ta.activation, ta.forward_backward


def main():
    global PLANT
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        sys.stdout.write(__doc__ + "\n")
        sys.exit(0 if len(sys.argv) == 2 else 2)
    PLANT = sys.argv[1].split(":")
    if PLANT[0] not in ("scale", "row", "shift", "sigmoid") or len(PLANT) != (2 if PLANT[0] == "sigmoid" else 3):
        sys.stderr.write("torch_planted.py: unknown plant '%s' (--help lists them)\n" % sys.argv[1])
        sys.exit(2)
    ta.activation, ta.forward_backward = planted_activation, planted_forward_backward
    torch.set_num_threads(1)
    ta.bp.serve(lambda req: ta.answer(req, torch.float32), frames=("f32", "f64"),
                capabilities={"precision": ["float32"]})


if __name__ == "__main__":
    main()

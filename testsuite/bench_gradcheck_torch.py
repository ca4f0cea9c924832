#!/usr/bin/env python3
"""testsuite/bench_gradcheck_torch.py: make bench's yardstick for the full per-parameter check,
torch.autograd.gradcheck in its slow mode (a central difference per parameter, fast_mode=False)
on the network bpcheck checks: 784-30-10, sigmoid hidden layer, softmax output, cross-entropy,
one sample, float64. Prints the in-process seconds of the check; build/bench times the whole
process around it. Exit 3 when torch cannot be imported."""
import sys
import time

try:
    import torch
except ImportError:
    sys.exit(3)


def main():
    torch.manual_seed(2)
    sizes = [784, 30, 10]
    params = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        a = (3.0 / n_in) ** 0.5
        params.append((torch.rand(n_out, n_in, dtype=torch.float64) * 2 - 1) * a)
        params.append(torch.rand(n_out, dtype=torch.float64) * 2 - 1)
    for p in params:
        p.requires_grad_(True)
    x = torch.rand(1, 784, dtype=torch.float64) * 2 - 1
    y = torch.zeros(1, 10, dtype=torch.float64)
    y[0, 3] = 1.0

    def cost(w1, b1, w2, b2):
        a1 = torch.sigmoid(x @ w1.T + b1)
        z2 = a1 @ w2.T + b2
        return -(y * torch.log_softmax(z2, dim=1)).sum()

    t0 = time.perf_counter()
    ok = torch.autograd.gradcheck(cost, tuple(params), fast_mode=False)
    print("%.4f %s" % (time.perf_counter() - t0, "pass" if ok else "fail"))


if __name__ == "__main__":
    main()

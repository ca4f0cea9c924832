"""testsuite/python/tests/my_net.py: the user's own network that the README's pytest example
("From Python") imports, for t/python, which runs that example as written: the numpy adapter's
equations behind a small class. With BPCHECK_PLANT=transpose it returns every dC/dW^l
transposed and read back in order (a layout bug a user makes), for the example's failing run."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "adapters"))
import numpy_adapter  # noqa: E402


class Network:
    def __init__(self, model, W, b):
        self.model, self.W, self.b = model, W, b

    def backprop(self, x, y):
        """(the cost, dC/dW^1..L, dC/db^1..L) of the batch x, y"""
        req = {"model": self.model, "params": {"W": self.W, "b": self.b}, "batch": {"x": x, "y": y}}
        _, _, cost, gW, gb, _, _, _ = numpy_adapter.gradient(req)
        if os.environ.get("BPCHECK_PLANT") == "transpose":
            gW = [np.reshape(g.T, g.shape) for g in gW]
        return cost, gW, gb

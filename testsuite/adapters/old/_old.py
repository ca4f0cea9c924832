"""The protocol loop the stand-ins share (they differ in their mathematics, not in this):
bpcheck_protocol from testsuite/adapters, and --declare, which makes a stand-in declare its
capabilities as the hint of activations-ignored advises."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import bpcheck_protocol as bp  # noqa: E402,F401

Unsupported = bp.Unsupported


def serve(answer, costs, reductions=("sum", "mean")):
    caps = None
    if "--declare" in sys.argv[1:]:  # what the stand-in does: sigmoid layers, softmax for CE
        acts = ["sigmoid"] + (["softmax"] if "cross-entropy" in costs else [])
        caps = {"costs": list(costs), "activations": acts, "reductions": list(reductions)}
    bp.serve(answer, frames=(), capabilities=caps)


def step(W, b, gW, gb, eta):
    return {"W": [w - eta * g for w, g in zip(W, gW)], "b": [v - eta * g for v, g in zip(b, gb)]}

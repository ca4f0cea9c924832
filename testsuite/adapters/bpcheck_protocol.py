"""bpcheck_protocol: the loop of a bpcheck-protocol/1 adapter (PROTOCOL.md), for Python.

An adapter reads one JSON request per line on standard input and answers each with one JSON
line on standard output. This module does the reading, the writing and the error handling;
the adapter gives one function, answer(request) -> dict of the wanted quantities:

    import bpcheck_protocol as bp

    def answer(req):
        ...                          # your code: req["model"], req["params"], req["batch"]
        return {"cost": c, "grad": {"W": [...], "b": [...]}, "step": {...}}

    bp.serve(answer)

Raise bp.Unsupported("why") for a case your code does not handle (a model, an activation):
the runner counts it as skipped, never passed. Any other exception becomes {"id", "error"}
and fails that case with its message. Quantities the request does not want are dropped;
wanted ones the answer lacks are listed as unsupported.

Installed with bpcheck on Python's path (dist-packages) and beside the adapter templates."""
import json
import sys

__all__ = ["Unsupported", "serve", "activations", "WANT_DEFAULT"]

WANT_DEFAULT = ["cost", "grad", "step"]


class Unsupported(Exception):
    """Raised by an answer function for a case it does not handle."""


def activations(model):
    """The activation names of layers 1..L (model.activations, or the model's own: sigmoid,
    and softmax at a cross-entropy output) and leaky-relu's slope."""
    L = len(model["sizes"]) - 1
    default = ["sigmoid"] * (L - 1) + ["softmax" if model["cost"] == "cross-entropy" else "sigmoid"]
    return model.get("activations", default), model.get("leaky_slope", 0.01)


def serve(answer, stdin=None, stdout=None):
    """Answer every request line of stdin on stdout with answer(request), until EOF."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    for line in stdin:
        req = None
        try:
            req = json.loads(line)
            got = answer(req)
            out = {"id": req["id"]}
            missing = []
            for want in req.get("want", WANT_DEFAULT):
                if want in got:
                    out[want] = got[want]
                else:
                    missing.append(want)
            if missing:
                out["unsupported"] = missing
        except Unsupported as e:
            out = {"id": req.get("id", ""), "unsupported": str(e)}
        except Exception as e:  # a failure is an answer too
            out = {"id": req.get("id", "") if isinstance(req, dict) else "", "error": repr(e)}
        # json writes floats with repr (exact round trips). A NaN is written as the token NaN,
        # which is not JSON: the runner fails the case and says which quantity held it.
        stdout.write(json.dumps(out) + "\n")
        stdout.flush()

"""bpcheck.protocol: the loop of a bpcheck-protocol adapter (PROTOCOL.md), for Python: JSON
lines (/1), and binary frames (/2) when the runner offers them.

An adapter reads one JSON request per line on standard input and answers each with one JSON
line on standard output. This module does the reading, the writing and the error handling;
the adapter gives one function, answer(request) -> dict of the wanted quantities:

    from bpcheck import protocol as bp

    def answer(req):
        ...                          # your code: req["model"], req["params"], req["batch"]
        return {"cost": c, "grad": {"W": [...], "b": [...]}, "step": {...}}

    bp.serve(answer)

Declare what your code supports, and the runner never sends a case outside it (it is
skipped, with the reason); a key left out means "all" (PROTOCOL.md, "Capabilities"):

    bp.serve(answer, capabilities={"costs": ["quadratic"], "activations": ["sigmoid"]})

Raise bp.Unsupported("why") for a case your code does not handle (a model, an activation):
the runner counts it as skipped, never passed. Any other exception becomes {"id", "error"}
and fails that case with its message. Quantities the request does not want are dropped;
wanted ones the answer lacks are listed as unsupported.

The module of the Python package bpcheck (testsuite/python; pip install, or make install puts it
on Python's path), and the same file as bpcheck_protocol.py beside the adapter templates, for
an adapter where the package is not installed. It needs only the standard library (and numpy
for binary frames)."""
import json
import sys

__all__ = ["Unsupported", "serve", "activations", "WANT_DEFAULT", "CAPABILITY_KEYS"]

WANT_DEFAULT = ["cost", "grad", "step"]

# The keys of a declaration and their values (PROTOCOL.md, "Capabilities").
CAPABILITY_KEYS = {
    "costs": ("quadratic", "loglik", "cross-entropy"),
    "activations": ("sigmoid", "tanh", "relu", "leaky-relu", "identity", "softmax"),
    "reductions": ("sum", "mean"),
    "want": ("cost", "grad", "step", "z", "a", "delta"),
    "precision": ("float64", "float32"),
    "frames": ("f64", "f32"),
}


def _checked(capabilities):
    """capabilities as given, after checking its keys and names: a typo would otherwise declare
    less than the adapter does (and skip cases silently), or more."""
    for key, names in capabilities.items():
        if key not in CAPABILITY_KEYS:
            raise ValueError("capabilities: unknown key %r (known: %s)" % (key, ", ".join(CAPABILITY_KEYS)))
        bad = [n for n in names if n not in CAPABILITY_KEYS[key]]
        if isinstance(names, str) or bad:
            raise ValueError("capabilities[%r]: expected a list of %s; got %r" % (key, ", ".join(CAPABILITY_KEYS[key]), names))
    return {k: list(v) for k, v in capabilities.items()}


class Unsupported(Exception):
    """Raised by an answer function for a case it does not handle."""


def activations(model):
    """The activation names of layers 1..L (model.activations, or the model's own: sigmoid,
    and softmax at a cross-entropy output) and leaky-relu's slope."""
    L = len(model["sizes"]) - 1
    default = ["sigmoid"] * (L - 1) + ["softmax" if model["cost"] == "cross-entropy" else "sigmoid"]
    return model.get("activations", default), model.get("leaky_slope", 0.01)


def _plain(v):
    """json.dumps' fallback: numpy arrays and scalars (and anything with tolist) as lists."""
    if hasattr(v, "tolist"):
        return v.tolist()
    raise TypeError("cannot write %r as JSON" % type(v).__name__)


_DTYPES = {"f64": "<f8", "f32": "<f4"}


def _unframe(req, payload):
    """A framed request's arrays (PROTOCOL.md, "Binary frames"), as float64 numpy arrays, put
    where a JSON request has its lists: params.W, params.b, batch.x, batch.y."""
    import numpy as np
    dt = np.dtype(_DTYPES[req["frames"]])
    n, m = req["model"]["sizes"], req["batch_size"]
    if len(payload) != req["payload"]:
        raise ValueError("the payload was cut off: %d of %d bytes" % (len(payload), req["payload"]))
    values = np.frombuffer(payload, dtype=dt).astype(np.float64)
    at, W, b = 0, [], []

    def take(*shape):
        nonlocal at
        k = int(np.prod(shape))
        if at + k > values.size:
            raise ValueError("'payload' is too short for the model and batch_size")
        out = values[at:at + k].reshape(shape)
        at += k
        return out
    for l in range(1, len(n)):
        W.append(take(n[l], n[l - 1]))
        b.append(take(n[l]))
    x, y = take(m, n[0]), take(m, n[-1])
    if at != values.size:
        raise ValueError("'payload' is longer than the model and batch_size need")
    if not np.isfinite(values).all():
        raise ValueError("the payload holds NaN or Inf")
    req["params"], req["batch"] = {"W": W, "b": b}, {"x": x, "y": y}


def _frame(out, req, dtype):
    """The header of a framed answer (out, with arrays listed) and its payload bytes: grad and
    step as W^1, b^1, ..., W^L, b^L; z, a and delta layer by layer; each row-major. An array
    whose shape is not the request's is not framed: the whole answer then goes as JSON, so
    that the runner sees the shapes and can say what they look like (transposed, say)."""
    import numpy as np
    dt = np.dtype(_DTYPES[dtype])
    n, m = req["model"]["sizes"], req["batch_size"]
    shapes = {"params": [s for l in range(1, len(n)) for s in ((n[l], n[l - 1]), (n[l],))],
              "layers": [(m, n[l]) for l in range(1, len(n))]}
    parts, names = [], []
    for k in ("grad", "step", "z", "a", "delta"):
        if k not in out:
            continue
        v = out[k]
        pieces = [p for w, c in zip(v["W"], v["b"]) for p in (w, c)] if isinstance(v, dict) else v
        pieces = [np.asarray(p, dtype=np.float64) for p in pieces]
        if [p.shape for p in pieces] != shapes["params" if k in ("grad", "step") else "layers"]:
            return b""
        parts += [p.astype(dt).ravel() for p in pieces]
        names.append(k)
    for k in names:
        del out[k]
    data = np.concatenate(parts).tobytes() if parts else b""
    out.update({"frames": dtype, "arrays": names, "payload": len(data)})
    return data


def serve(answer, stdin=None, stdout=None, frames=("f64", "f32"), capabilities=None):
    """Answer every request of stdin on stdout with answer(request), until EOF.

    Requests come as JSON lines (bpcheck-protocol/1) or, once the runner's first request has
    offered them and this module has accepted, as binary frames (/2): then req["params"] and
    req["batch"] hold numpy arrays instead of lists, and the arrays of the answer go back as
    raw little-endian bytes. `frames` lists the element types this adapter accepts, in order
    of preference ("f32" first for a float32 implementation; () for JSON only). Frames need
    numpy; without it the session stays JSON. answer may return numpy arrays or lists.
    `capabilities` (a dict of lists: CAPABILITY_KEYS) is declared at the runner's hello, which
    then never sends a case outside it; None declares nothing (every case is sent)."""
    capabilities = _checked(capabilities) if capabilities is not None else None
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    try:
        import numpy  # noqa: F401
    except ImportError:
        frames = ()
    while True:
        line = stdin.readline()
        if not line:
            break
        req, payload = None, b""
        try:
            req = json.loads(line)
            if isinstance(req, dict) and "payload" in req:
                payload = stdin.read(int(req["payload"]))  # always read: the stream stays in step
                _unframe(req, payload)
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
        data = b""
        offer = req.get("frames") if isinstance(req, dict) else None
        if capabilities is not None and isinstance(req, dict) and "capabilities" in req:
            out["capabilities"] = capabilities  # the hello invites the declaration
        if isinstance(offer, list):  # the runner offers frames: accept the first we take
            pick = [d for d in frames if d in offer]
            if pick:
                out["frames"] = pick[0]
        elif offer in _DTYPES and "error" not in out and not isinstance(out.get("unsupported"), str):
            data = _frame(out, req, offer)  # a framed request gets a framed answer
        # json writes floats with repr (exact round trips). A NaN is written as the token NaN,
        # which is not JSON: the runner fails the case and says which quantity held it.
        stdout.write((json.dumps(out, default=_plain) + "\n").encode())
        stdout.write(data)
        stdout.flush()

#!/usr/bin/env python3
"""testsuite/adapters/indep_panel.py: an MLP written independently of the C reference and of
testsuite/bugs/bugs.c, with one bug switched on by name, to measure the diagnosis on code the
catalogue did not write (issue 25; t/naming runs it).

Its structure is unlike the reference's on purpose: one object per layer that caches what it
saw, samples as COLUMNS (a^l is n_l x m), the backward pass as a chain of layer.backward
calls. Each catalogue bug is written from the model's one-line explanation (`bpcheck bugs`),
not from bugs.c. The `outside:` bugs are realistic mistakes that the catalogue does not model:
they must be rejected and localised with no name at all. `tanh-sigmoid` computes the sigmoid
as 1/2 (1 + tanh(z/2)): mathematically right, outside the accepted class (it cancels for very
negative z), so it must fail and be named nothing.

A family's bug is written at a value of the panel's choosing, NAME/VALUE where it is not the
catalogue's default (weight-decay/1e-4: lambda 1e-4 where the mutant uses 5e-4), so that the
diagnosis must fit the value, not recognise it:
  clipped-probabilities/2.2e-16  np.clip(a, eps, 1 - eps) with float64's epsilon (scikit-learn)
  log-eps                        ln(a + 1e-7), TensorFlow.js's logLoss
  lut-sigmoid/genann             genann's 4096-entry table on [-15, 15), nearest entry
  sigmoid-clamped                genann's sigmoid: 0 below -45, 1 above 45; sigma' as a (1 - a)
  sigma-prime-clipped            FANN: sigma' = a (1 - a) with a clipped to [0.01, 0.99]
  flat-spot                      sigma' + 0.1
  label-smoothing                targets y (1 - 0.1) + 0.1 / n_L (0.1 / 2 for sigmoid outputs)
  l2-in-gradient                 dC/dW + 0.01 W; momentum: beta 0.5; clip-by-norm: max_norm 1;
                                 clip-by-value: 0.5; float16: numpy's float16 throughout
  sigmoid-approx/hard            Keras' hard_sigmoid, np.clip(0.2 z + 0.5, 0, 1), slope 0.2 inside,
                                 the loglik cost with each log clamped at -100 (torch's BCELoss)

Usage: indep_panel.py BUG   (BUG 'none' is the correct program; --list lists the bugs)"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpcheck_protocol as bp  # noqa: E402

CATALOGUE = [
    "transposed-grad", "column-major", "wrong-layer-activations", "w-not-transposed",
    "sum-for-mean", "mean-for-sum", "grad-sum-cost-mean", "cost-sum-grad-mean",
    "mean-over-outputs", "factor-2", "bias-not-over-m", "sign-flipped", "sigma-prime-of-a",
    "no-sigma-prime-output", "no-sigma-prime-hidden", "sigma-prime-layer-above",
    "sigma-prime-on-top", "z-for-a", "activation-on-input", "tanh-hidden", "bias-last-sample",
    "bias-sign", "params-changed-during-backprop", "sequential-steps", "step-added",
    "eta-not-over-m", "eta-over-m-twice", "weight-decay", "stale", "step-not-taken",
    "naive-softmax", "ln-zero", "clipped-probabilities", "lut-sigmoid", "float32",
    "sigmoid-prime-everywhere", "relu-prime-at-zero-one", "leaky-slope-wrong-side",
    "diagonal-jacobian", "cost-sign", "one-wrong-entry", "off-by-one-layer",
    # the families, each at a value of its own (NAME/VALUE: the model is NAME)
    "clipped-probabilities/2.2e-16", "log-eps", "lut-sigmoid/genann", "sigmoid-clamped",
    "sigma-prime-clipped", "flat-spot", "label-smoothing", "weight-decay/1e-4",
    "l2-in-gradient", "momentum", "clip-by-norm", "clip-by-value", "sigma-prime-of-a/hidden",
    "sigma-prime-of-a/output", "cost-no-half", "cost-mean-over-all", "cost-mse", "float16",
    "sigmoid-approx/hard",
]
OUTSIDE = [
    "outside:bias-as-first-weight",  # dC/db^l taken as dC/dW^l's column 0 (bias-as-w_0 mixed up)
    "outside:input-squared",         # dC/dW^1 with x^2 for x
    "outside:softmax-temperature",   # softmax(z / 3), its Jacobian consistent
    "outside:relu-threshold",        # relu'(z) = [z > 0.5]
    "outside:rows-swapped",          # dC/dW^L rows 0 and 1 exchanged
    "outside:dead-unit",             # a^1_0 forced to 0 in the forward pass
    "outside:bias-twice",            # z = W a + 2 b
    "outside:cost-first-sample",     # the cost of sample 0 alone (times m under sum)
    "outside:labels-rolled",         # each sample's delta^L with the next sample's y
    "outside:inputs-reversed",       # x's features taken in reverse order
    "outside:shifted-sigmoid",       # hidden sigma(z + 0.1), derivative consistent
    "outside:tanh-prime-of-z",       # tanh' as 1 - z^2
    "outside:leaky-slope-0.1",       # leaky-relu with slope 0.1 whatever is asked
    "outside:first-sample-acts",     # dC/dW^L with sample 0's a^{L-1} for every sample
    "outside:delta-hidden-squared",  # hidden delta times f'(z)^2
    "outside:step-bias-ascent",      # the biases stepped up, the weights down
]
OTHER = ["none", "tanh-sigmoid"]

BUG = "none"


def on(name):
    return BUG == name


# ---- activations, written out ----

def sigmoid(z):
    if on("tanh-sigmoid"):
        return 0.5 * (1.0 + np.tanh(0.5 * z))
    if on("lut-sigmoid"):
        return lut_sigmoid(z)
    if on("lut-sigmoid/genann"):
        return genann_lut(z)
    if on("sigmoid-approx/hard"):
        return np.clip(0.2 * z + 0.5, 0.0, 1.0)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    if on("sigmoid-clamped"):
        out = np.where(z < -45.0, 0.0, np.where(z > 45.0, 1.0, out))
    return out


def genann_lut(z):
    """genann.c's genann_act_sigmoid_cached, as its source reads."""
    lo, hi, size = -15.0, 15.0, 4096
    step = (hi - lo) / size
    table = np.array([1.0 / (1.0 + np.exp(-(lo + step * i))) for i in range(size)])
    j = np.floor((z - lo) / step + 0.5)
    j = np.where(z < lo, 0, np.where(z >= hi, size - 1, np.minimum(j, size - 1))).astype(int)
    return table[j]


TABLE_Z = np.arange(-128, 129) / 16.0  # step 1/16 on [-8, 8]
TABLE_S = None


def lut_sigmoid(z):
    global TABLE_S
    if TABLE_S is None:
        TABLE_S = 1.0 / (1.0 + np.exp(-TABLE_Z))
    return np.interp(np.clip(z, -8.0, 8.0), TABLE_Z, TABLE_S)


class Act:
    """f and f' of one layer; f' takes (z, a)."""

    def __init__(self, name, slope):
        self.name, self.slope = name, slope

    def f(self, z):
        n, s = self.name, self.slope
        if n == "sigmoid":
            return sigmoid(z)
        if n == "tanh":
            return np.tanh(z)
        if n == "relu":
            return np.maximum(z, 0.0) * (z > 0)
        if n == "leaky-relu":
            if on("outside:leaky-slope-0.1"):
                s = 0.1
            if on("leaky-slope-wrong-side"):
                return np.where(z > 0, s * z, z)
            return np.where(z > 0, z, s * z)
        if n == "identity":
            return z.copy()
        raise bp.Unsupported(n)

    def df(self, z, a):
        n, s = self.name, self.slope
        if on("sigma-prime-of-a"):
            z = a
            a = self.f(z)
        if n == "sigmoid":
            if on("lut-sigmoid") or on("lut-sigmoid/genann") or on("sigmoid-clamped"):
                return a * (1.0 - a)
            if on("sigmoid-approx/hard"):  # the slope where the line is not clipped
                return np.where((a > 0.0) & (a < 1.0), 0.2, 0.0)
            if on("sigma-prime-clipped"):
                ac = np.clip(a, 0.01, 0.99)
                return ac * (1.0 - ac)
            s_ = sigmoid(z)
            if on("flat-spot"):
                return s_ * (1.0 - s_) + 0.1
            return s_ * (1.0 - s_)
        if n == "tanh":
            if on("outside:tanh-prime-of-z"):
                return 1.0 - z * z
            return 1.0 - np.tanh(z) ** 2
        if n == "relu":
            if on("relu-prime-at-zero-one"):
                return (z >= 0).astype(float)
            if on("outside:relu-threshold"):
                return (z > 0.5).astype(float)
            return (z > 0).astype(float)
        if n == "leaky-relu":
            if on("outside:leaky-slope-0.1"):
                s = 0.1
            if on("leaky-slope-wrong-side"):
                return np.where(z > 0, s, 1.0)
            return np.where(z > 0, 1.0, s)
        if n == "identity":
            return np.ones_like(z)
        raise bp.Unsupported(n)


def sigmoid_prime_z(z):
    s = sigmoid(z)
    return s * (1.0 - s)


# ---- the network: one object per layer, samples as columns ----

class Layer:
    def __init__(self, W, b, act, hidden, first):
        self.W = np.array(W, dtype=DT)
        self.b = np.array(b, dtype=DT).reshape(-1, 1)
        self.act, self.hidden, self.first = act, hidden, first

    def forward(self, A_in):
        self.A_in = A_in
        bias = 2.0 * self.b if on("outside:bias-twice") else self.b
        self.Z = self.W @ A_in + bias
        if self.act is None:  # softmax, over each column
            Z = self.Z / 3.0 if on("outside:softmax-temperature") else self.Z
            E = np.exp(Z) if on("naive-softmax") else np.exp(Z - Z.max(axis=0))
            self.A = E / E.sum(axis=0)
        elif self.hidden and on("tanh-hidden"):
            self.A = np.tanh(self.Z)
        elif self.hidden and on("outside:shifted-sigmoid") and self.act.name == "sigmoid":
            self.A = sigmoid(self.Z + 0.1)
        else:
            self.A = self.act.f(self.Z)
        if self.first and on("outside:dead-unit"):
            self.A[0, :] = 0.0
        return self.A

    def fprime(self):
        if self.hidden and on("tanh-hidden"):
            return 1.0 - self.A ** 2
        if self.hidden and on("sigmoid-prime-everywhere"):
            return sigmoid_prime_z(self.Z)
        if self.hidden and on("outside:shifted-sigmoid") and self.act.name == "sigmoid":
            return sigmoid_prime_z(self.Z + 0.1)
        if (self.hidden and on("sigma-prime-of-a/hidden")) or (not self.hidden and on("sigma-prime-of-a/output")):
            fp = self.act.df(self.A, self.act.f(self.A))
        else:
            fp = self.act.df(self.Z, self.A)
        if self.first and on("outside:dead-unit"):
            fp = fp.copy()
            fp[0, :] = 0.0
        return fp

    def grads(self, D, scale, m):
        """dC/dW and dC/db from this layer's D (n_l x m)."""
        A_in = self.A_in
        if not self.first and on("z-for-a"):
            A_in = self.Z_in
        if self.first and on("outside:input-squared"):
            A_in = A_in ** 2
        if getattr(self, "last", False) and on("outside:first-sample-acts"):
            A_in = np.repeat(A_in[:, :1], A_in.shape[1], axis=1)
        if getattr(self, "last", False) and on("wrong-layer-activations"):
            A_in = self.A
        dW = (D @ A_in.T) * scale
        if on("bias-last-sample"):
            db = D[:, -1] * scale
        elif on("outside:bias-as-first-weight"):
            db = dW[:, 0].copy()
        else:
            db = D.sum(axis=1) * (1.0 if on("bias-not-over-m") else scale)
        if on("bias-sign"):
            db = -db
        return dW, db


def parse(req):
    model = req["model"]
    sizes = model["sizes"]
    names, slope = bp.activations(model)
    W = [np.asarray(w, dtype=float).reshape(sizes[l + 1], sizes[l]) for l, w in enumerate(req["params"]["W"])]
    b = [np.asarray(v, dtype=float).reshape(-1) for v in req["params"]["b"]]
    x = np.asarray(req["batch"]["x"], dtype=float).reshape(-1, sizes[0])
    y = np.asarray(req["batch"]["y"], dtype=float).reshape(-1, sizes[-1])
    return model, sizes, names, slope, W, b, x, y


def build(W, b, names, slope, cost):
    L = len(W)
    layers = []
    for l in range(L):
        act = None if names[l] == "softmax" else Act(names[l], slope)
        Wl = W[l]
        if on("column-major"):  # read column by column from the flat row-major list
            J, K = Wl.shape
            Wl = Wl.reshape(-1).reshape(K, J).T
        layer = Layer(Wl, b[l], act, l < L - 1, l == 0)
        layer.last = l == L - 1
        layers.append(layer)
    return layers


def per_sample_cost(cost, out, Y):
    """C_x for each sample (columns): out is the output layer, Y n_L x m."""
    A, Z = out.A, out.Z
    eps = 2.220446049250313e-16 if on("clipped-probabilities/2.2e-16") else 1e-15
    clipped = on("clipped-probabilities") or on("clipped-probabilities/2.2e-16")
    if cost == "quadratic":
        if on("cost-no-half") or on("cost-mse"):
            return ((A - Y) ** 2).sum(axis=0)
        return 0.5 * ((A - Y) ** 2).sum(axis=0)
    if on("log-eps"):
        if cost == "loglik":
            return -(Y * np.log(A + 1e-7) + (1 - Y) * np.log(1 - A + 1e-7)).sum(axis=0)
        return -(Y * np.log(A + 1e-7)).sum(axis=0)
    if cost == "loglik":
        if on("sigmoid-approx/hard"):  # from a, as torch.nn.BCELoss: each log clamped at -100
            return -(Y * np.maximum(np.log(A), -100.0) + (1 - Y) * np.maximum(np.log(1 - A), -100.0)).sum(axis=0)
        if on("ln-zero") or clipped or on("lut-sigmoid") or on("lut-sigmoid/genann"):
            P = np.clip(A, eps, 1 - eps) if clipped else A
            return -(Y * np.log(P) + (1 - Y) * np.log(1 - P)).sum(axis=0)
        # -y ln sigma(z) - (1 - y) ln sigma(-z) = y ln(1 + e^-z) + (1 - y) ln(1 + e^z)
        return (Y * np.logaddexp(0.0, -Z) + (1 - Y) * np.logaddexp(0.0, Z)).sum(axis=0)
    if on("ln-zero") or clipped or on("naive-softmax"):
        P = np.clip(A, eps, 1 - eps) if clipped else A
        return -(Y * np.log(P)).sum(axis=0)
    Zs = Z / 3.0 if on("outside:softmax-temperature") else Z
    M = Zs.max(axis=0)
    logA = Zs - M - np.log(np.exp(Zs - M).sum(axis=0))
    return -(Y * logA).sum(axis=0)


def output_delta(cost, out, Y):
    """delta^L = dC_x/dz^L, n_L x m."""
    A, Z = out.A, out.Z
    if on("outside:labels-rolled"):
        Y = np.roll(Y, -1, axis=1)
    if cost == "quadratic":
        dCda = 2.0 * (A - Y) if on("factor-2") else (A - Y)
        if on("sign-flipped"):
            dCda = Y - A
        if on("no-sigma-prime-output"):
            return dCda
        return dCda * out.fprime()
    if cost == "loglik":
        D = A - Y
    elif on("diagonal-jacobian"):
        D = -Y * (1.0 - A)
    else:  # softmax: dC/dz_k = a_k sum_j y_j - y_k
        D = A * Y.sum(axis=0) - Y
        if on("outside:softmax-temperature"):
            D = D / 3.0
    if on("sigma-prime-on-top"):
        D = D * A * (1.0 - A)
    if on("sign-flipped"):
        D = -D
    return D


def backprop(layers, cost, red, X, Y, eta):
    """cost, [(dW, db)], and the trace (Z, A, D per layer), for batch columns X, Y."""
    m = X.shape[1]
    if on("label-smoothing"):
        k = Y.shape[0] if cost == "cross-entropy" else 2
        Y = Y * (1.0 - 0.1) + 0.1 / k
    A = X.copy()
    if on("activation-on-input"):
        A = sigmoid(A)
    if on("outside:inputs-reversed"):
        A = A[::-1, :].copy()
    prev_Z = None
    for layer in layers:
        layer.Z_in = prev_Z if prev_Z is not None else A
        A = layer.forward(A)
        prev_Z = layer.Z
    out = layers[-1]
    per = per_sample_cost(cost, out, Y)
    mean = red == "mean"
    if on("sum-for-mean"):
        mean = False
    if on("mean-for-sum"):
        mean = True
    scale = 1.0 / m if mean else 1.0
    if on("outside:cost-first-sample"):
        C = per[0] * (1.0 if mean else m)
    else:
        C = per.sum() * scale
    if on("cost-sum-grad-mean") and red == "mean":
        C = per.sum()
    if on("cost-mean-over-all") or (on("cost-mse") and cost == "quadratic"):
        C = per.sum() / (m * Y.shape[0])
    if on("mean-over-outputs"):
        C, scale = C / Y.shape[0], scale / Y.shape[0]
    if on("cost-sign"):
        C = -C
    gscale = 1.0 if (on("grad-sum-cost-mean") and red == "mean") else scale
    D = output_delta(cost, out, Y)
    Ds = [None] * len(layers)
    Ds[-1] = D
    grads = [None] * len(layers)
    for l in range(len(layers) - 1, -1, -1):
        layer = layers[l]
        grads[l] = layer.grads(Ds[l], gscale, m)
        if on("params-changed-during-backprop"):
            layer.W = layer.W - eta * grads[l][0]
        if l == 0:
            break
        if on("w-not-transposed"):
            if layer.W.shape[0] != layer.W.shape[1]:
                raise ValueError("W^%d is not square: its untransposed product does not conform" % (l + 1))
            back = layer.W @ Ds[l]
        elif on("sigma-prime-layer-above"):
            fp_above = layer.fprime() if layer.act is not None else sigmoid_prime_z(layer.Z)
            back = layer.W.T @ (Ds[l] * fp_above)
        else:
            back = layer.W.T @ Ds[l]
        below = layers[l - 1]
        if on("no-sigma-prime-hidden") or on("sigma-prime-layer-above"):
            Ds[l - 1] = back
        elif on("outside:delta-hidden-squared"):
            Ds[l - 1] = back * below.fprime() ** 2
        else:
            Ds[l - 1] = back * below.fprime()
    if on("off-by-one-layer") and len(layers) >= 2:
        grads[0] = (np.zeros_like(grads[0][0]), np.zeros_like(grads[0][1]))
        Ds[0] = np.zeros_like(Ds[0])
    trace = [(lay.Z, lay.A, d) for lay, d in zip(layers, Ds)]
    return C, grads, trace


STATE = {"prev_grad": None, "velocity": None}


def answer(req):
    global DT
    DT = np.float32 if on("float32") else np.float16 if on("float16") else np.float64
    model, sizes, names, slope, W, b, x, y = parse(req)
    cost, red, eta = model["cost"], model["reduction"], float(req["eta"])
    layers = build(W, b, names, slope, cost)
    X, Y = x.T.astype(DT), y.T.astype(DT)
    C, grads, trace = backprop(layers, cost, red, X, Y, eta)
    gW = [np.asarray(g[0], dtype=float) for g in grads]
    gb = [np.asarray(g[1], dtype=float).reshape(-1) for g in grads]
    if on("sequential-steps"):  # one step per sample in turn, the per-sample gradients summed
        mean = red == "mean"
        Wc, bc = [w.copy() for w in W], [v.copy() for v in b]
        accW, accb = [np.zeros_like(w) for w in W], [np.zeros_like(v) for v in b]
        for p in range(x.shape[0]):
            lay = build(Wc, bc, names, slope, cost)
            _, g1, _ = backprop(lay, cost, "sum", X[:, p:p + 1], Y[:, p:p + 1], eta)
            for l in range(len(W)):
                gw, gbb = g1[l][0] / (x.shape[0] if mean else 1), g1[l][1] / (x.shape[0] if mean else 1)
                accW[l] += gw
                accb[l] += gbb
                Wc[l] = Wc[l] - eta * gw
                bc[l] = bc[l] - eta * gbb
        gW, gb = accW, accb
        stepW, stepb = Wc, bc
    if on("column-major"):  # written back column by column
        gW = [g.T.reshape(-1).reshape(g.shape) for g in gW]
    if on("transposed-grad"):  # laid out K x J, read back in order as J x K
        right = [g.copy() for g in gW]
        gW = [g.T.reshape(g.shape) for g in gW]
    else:
        right = gW
    if on("outside:rows-swapped") and gW[-1].shape[0] >= 2:
        g = gW[-1].copy()
        g[[0, 1]] = g[[1, 0]]
        gW[-1] = g
    if on("one-wrong-entry"):
        g = gW[0].copy()
        big = np.abs(g).max()
        g[0, 0] += 1e-3 * (big if big > 0 else 1.0)
        gW[0] = g
        right = gW
    if on("l2-in-gradient"):
        gW = [g + 0.01 * w for g, w in zip(gW, W)]
        right = gW
    if on("clip-by-norm"):
        total = np.sqrt(sum((g ** 2).sum() for g in gW) + sum((g ** 2).sum() for g in gb))
        coef = 1.0 / (total + 1e-6)
        if coef < 1.0:
            gW, gb = [g * coef for g in gW], [g * coef for g in gb]
            right = gW
    if on("clip-by-value"):
        gW, gb = [np.clip(g, -0.5, 0.5) for g in gW], [np.clip(g, -0.5, 0.5) for g in gb]
        right = gW
    if on("stale"):
        prev = STATE["prev_grad"]
        STATE["prev_grad"] = (gW, gb)
        if prev is not None:
            gW, gb = prev
            right = gW
    rate = eta
    if on("step-added"):
        rate = -eta
    if on("eta-not-over-m") and red == "mean":
        rate = eta * x.shape[0]
    if on("eta-over-m-twice") and red == "mean":
        rate = eta / x.shape[0]
    if not on("sequential-steps"):
        if on("step-not-taken"):
            stepW, stepb = [w.copy() for w in W], [v.copy() for v in b]
        else:
            try:
                stepW = [w - rate * g for w, g in zip(W, right)]
            except ValueError:  # a gradient of the wrong shape
                stepW = [w.copy() for w in W]
            stepb = [v - rate * g for v, g in zip(b, gb)]
            if on("outside:step-bias-ascent"):
                stepb = [v + rate * g for v, g in zip(b, gb)]
        if on("weight-decay"):
            stepW = [s - rate * 5e-4 * w for s, w in zip(stepW, W)]
        if on("weight-decay/1e-4"):
            stepW = [s - rate * 1e-4 * w for s, w in zip(stepW, W)]
        if on("momentum"):  # buf = beta buf + g, as torch.optim.SGD(momentum=0.5); buf = g at first
            v = STATE["velocity"]
            if v is None or any(a.shape != g.shape for a, g in zip(v[0] + v[1], gW + gb)):
                v = ([g.copy() for g in gW], [g.copy() for g in gb])
            else:
                v = ([0.5 * a + g for a, g in zip(v[0], gW)], [0.5 * a + g for a, g in zip(v[1], gb)])
            STATE["velocity"] = v
            stepW = [w - rate * a for w, a in zip(W, v[0])]
            stepb = [w - rate * a for w, a in zip(b, v[1])]
    out = {"cost": float(C), "grad": {"W": gW, "b": gb}, "step": {"W": stepW, "b": stepb},
           "z": [np.asarray(t[0], dtype=float).T for t in trace],
           "a": [np.asarray(t[1], dtype=float).T for t in trace],
           "delta": [np.asarray(t[2], dtype=float).T for t in trace]}
    return out


def main():
    global BUG
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        sys.stdout.write(__doc__ + "\n")
        sys.exit(0 if len(sys.argv) == 2 else 2)
    if sys.argv[1] == "--list":
        sys.stdout.write("\n".join(CATALOGUE + OUTSIDE + OTHER) + "\n")
        return
    BUG = sys.argv[1]
    if BUG not in CATALOGUE + OUTSIDE + OTHER:
        sys.stderr.write("indep_panel.py: unknown bug '%s' (--list lists them)\n" % BUG)
        sys.exit(2)
    np.seterr(all="ignore")
    bp.serve(answer, frames=())


DT = np.float64
if __name__ == "__main__":
    main()

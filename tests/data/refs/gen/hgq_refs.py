#!/usr/bin/python3
"""Independent reference outputs for the HGQ proxy jet classifier.

Written for nnfirm's test data, independently of its C code. It reads
tests/data/models/keras/hgq_jet_classifier.h5 with h5py (the Keras model
config and the stored weights, including each FixedPointQuantizer's
keep_negative / bits / integers arrays and its RND / SAT modes) and
computes the proxy model's outputs twice:

  - float: a numpy float64 forward pass with the quantizer's formula as HGQ
    states it (x scaled by 2^(bits - integers), rounded, its overflow handled
    on the range of a bits-wide code, signed when keep_negative, scaled back;
    0 where bits is 0), Dense as a float matrix product, ReLU as max(x, 0);
  - exact: the same network on exact rationals (Python fractions), every
    rounding and overflow decided on whole numbers.

The two must agree to the last bit (the proxy's values are short binary
fractions, exact in float64); the script stops if they do not.

Inputs: the 200 rows of tests/data/refs/inputs16.csv (standardized-scale
features), then 200 seeded rows drawn wider (uniform in [-40, 40]) so that
the quantizers' wrap-around is exercised; all as float32 values (what nnfirm
reads).

Needs Debian's python3-numpy and python3-h5py. Run from the repository root:
    /usr/bin/python3 tests/data/refs/gen/hgq_refs.py
It rewrites tests/data/refs/hgq_jet_classifier.{inputs,float,fixed}.csv.
"""
import json
import math
from fractions import Fraction

import h5py
import numpy as np

from refcsv import write_exact, write_float

MODEL = "tests/data/models/keras/hgq_jet_classifier.h5"
R = "tests/data/refs"


def load():
    f = h5py.File(MODEL, "r")
    cfg = json.loads(f.attrs["model_config"])
    g = f["model_weights"]
    layers = []
    for L in cfg["config"]["layers"]:
        cls, c = L["class_name"], L["config"]
        name = c["name"]
        if cls == "InputLayer":
            continue
        if cls == "FixedPointQuantizer":
            q = g[name]
            arr = {k: np.array(q[k + ":0"], dtype=np.int64).ravel() for k in ("keep_negative", "bits", "integers")}
            layers.append(("quant", name, c["RND"], c["SAT"], arr))
        elif cls == "Dense":
            d = g[name][name]
            assert c["activation"] == "linear" and c["use_bias"]
            layers.append(("dense", name, np.array(d["kernel:0"]), np.array(d["bias:0"])))
        elif cls == "Activation":
            assert c["activation"] == "relu"
            layers.append(("relu", name))
        else:
            raise SystemExit("unexpected layer " + cls)
    return layers


def elem(arr, n):
    """Per-element (k, b, i) for n values (a single stored type broadcasts)."""
    k, b, i = arr["keep_negative"], arr["bits"], arr["integers"]
    if k.size == 1:
        k, b, i = (np.repeat(a, n) for a in (k, b, i))
    return k, b, i


# ---- float64, HGQ's formulas ----------------------------------------------------
def f_round(x, mode):
    s, a = np.sign(x), np.abs(x)
    return {
        "TRN": lambda: np.floor(x),
        "RND": lambda: np.floor(x + 0.5),
        "RND_CONV": lambda: np.round(x),
        "TRN_ZERO": lambda: s * np.floor(a),
        "RND_ZERO": lambda: -s * np.floor(-a + 0.5),
        "RND_MIN_INF": lambda: -np.floor(-x + 0.5),
        "RND_INF": lambda: s * np.floor(a + 0.5),
    }[mode]()


def f_sat(x, k, b, mode):
    high = 2.0 ** (b - k) - 1
    low = -(high + 1) * k
    if mode == "WRAP":
        return np.mod(x - low, high - low + 1) + low
    if mode == "SAT":
        return np.clip(x, low, high)
    if mode == "SAT_SYM":
        return np.clip(x, -high * k, high)
    if mode == "SAT_ZERO":
        return np.where((x <= high) & (x >= low), x, 0.0)
    raise SystemExit("mode " + mode)


def float_forward(layers, x):
    for L in layers:
        if L[0] == "quant":
            k, b, i = elem(L[4], x.shape[1])
            scale = 2.0 ** (b - i)
            q = f_sat(f_round(x * scale, L[2]), k, b, L[3])
            x = np.where(b != 0, q / scale, 0.0)
        elif L[0] == "dense":
            x = x @ L[2].astype(np.float64) + L[3].astype(np.float64)
        else:
            x = np.maximum(x, 0.0)
    return x


# ---- exact rationals ------------------------------------------------------------
def e_round(v, mode):
    fl = math.floor(v)
    frac = v - fl
    half = Fraction(1, 2)
    if mode == "TRN":
        return fl
    if mode == "TRN_ZERO":
        return fl if v >= 0 else math.ceil(v)
    if frac != half:
        return fl + (1 if frac > half else 0)
    # a tie
    return {"RND": fl + 1, "RND_MIN_INF": fl, "RND_ZERO": fl if v >= 0 else fl + 1,
            "RND_INF": fl + 1 if v >= 0 else fl, "RND_CONV": fl if fl % 2 == 0 else fl + 1}[mode]


def e_sat(c, k, b, mode):
    high = 2 ** (b - k) - 1
    low = -(high + 1) * k
    if mode == "WRAP":
        return (c - low) % (high - low + 1) + low
    if mode == "SAT":
        return min(max(c, low), high)
    if mode == "SAT_SYM":
        return min(max(c, -high * k), high)
    if mode == "SAT_ZERO":
        return c if low <= c <= high else 0
    raise SystemExit("mode " + mode)


def exact_forward(layers, row):
    x = [Fraction(float(v)) for v in row]
    for L in layers:
        if L[0] == "quant":
            k, b, i = elem(L[4], len(x))
            out = []
            for j, v in enumerate(x):
                kj, bj, ij = int(k[j]), int(b[j]), int(i[j])
                if bj == 0:
                    out.append(Fraction(0))
                    continue
                f = bj - ij
                c = e_sat(e_round(v * Fraction(2) ** f, L[2]), kj, bj, L[3])
                out.append(Fraction(c) / Fraction(2) ** f)
            x = out
        elif L[0] == "dense":
            W, B = L[2], L[3]
            out = []
            for j in range(W.shape[1]):
                s = Fraction(float(B[j]))
                for i2, v in enumerate(x):
                    w = W[i2, j]
                    if w != 0 and v != 0:
                        s += Fraction(float(w)) * v
                out.append(s)
            x = out
        else:
            x = [v if v > 0 else Fraction(0) for v in x]
    return x


def main():
    layers = load()
    base = np.loadtxt(R + "/inputs16.csv", delimiter=",")
    wide = np.random.RandomState(20261201).uniform(-40, 40, size=(200, 16))
    x = np.vstack([base, wide]).astype(np.float32)
    yf = float_forward(layers, x.astype(np.float64))
    ye = [exact_forward(layers, r) for r in x]
    for r in range(len(x)):
        for j in range(yf.shape[1]):
            if Fraction(float(yf[r, j])) != ye[r][j]:
                raise SystemExit("row %d output %d: float %r, exact %s" % (r, j, yf[r, j], ye[r][j]))
    write_float(R + "/hgq_jet_classifier.inputs.csv", x)
    write_float(R + "/hgq_jet_classifier.float.csv", yf)
    write_exact(R + "/hgq_jet_classifier.fixed.csv", ye)
    distinct = len({tuple(r) for r in yf.tolist()})
    print("%d rows, %d distinct output rows; argmax classes %s" %
          (len(x), distinct, np.bincount(np.argmax(yf, axis=1), minlength=5).tolist()))


if __name__ == "__main__":
    main()

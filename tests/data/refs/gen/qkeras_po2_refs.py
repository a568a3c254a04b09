#!/usr/bin/python3
"""Independent reference outputs for two QKeras models of the hls4ml example
collection: qkeras_mnist_dense (power-of-two weights, quantized_po2) and
qkeras-v3_3layer.keras (a QKeras model saved by Keras 3).

Written for nnfirm's test data, independently of its C code. It reads the
models with the standard library and h5py (the Keras 2 JSON + HDF5 pair; the
.keras zip's config.json and model.weights.h5, whose layer groups it matches
by the "name" attribute Keras 3 writes on each vars group) and implements
QKeras' forward formulas as its quantizers.py states them:

  quantized_bits(bits, integer, symmetric, keep_negative, alpha=1):
      u = bits - keep_negative, m = 2^u, step = 2^integer / m,
      x -> step * clip(round(x / step), keep_negative * (symmetric - m), m - 1)
  quantized_relu(bits, integer):
      x -> step * clip(round(max(x, 0) / step), 0, 2^bits - 1), step = 2^(integer - bits)
  quantized_po2(bits, max_value, quadratic_approximation=False, log2 rounding "rnd"):
      sign(x) (+1 at 0) * 2^e; the exponent range: need_sign = 0 when
      max_value <= 1 else 1, n = bits - 1 - need_sign, e in [-2^n, 2^n - 1];
      |x| below Keras' epsilon (1e-7) gives e = -2^n; |x| >= max_value is
      clipped to max_value; e = clip(round(log2 |x|), -2^n, 2^n - 1).

round is half to even (tf.round). The log2 rounding is decided exactly:
round(log2 a) = k + 1 exactly when a > 2^k * sqrt(2), i.e. a^2 > 2^(2k+1) on
rationals, so no floating-point logarithm is involved; the script prints the
smallest relative distance of any weight from such a boundary (QKeras itself
takes a float32 logarithm, which agrees wherever that distance is far above
float32's 6e-8).

Each model is run twice:
  - float: numpy float64, the float32 weights quantized by the formulas
    above, softmax at the end (the model's own output);
  - exact: Python fractions with hls4ml's fixed-point reading of the model:
    the input row cast to the default input type ap_fixed<16,6> (AP_TRN,
    AP_WRAP), every sum exact (the accumulator types nnfirm's generated
    configuration gives are wide enough; a test that disagreed would show
    it), quantized_relu as its own type (round half to even, saturate); the
    output is the last Dense's (pre-softmax) exact value.
Where the input is exactly representable (qkeras_mnist_dense's rows, all
multiples of 2^-8) the exact model's last-Dense values must equal float64's;
the script stops if they do not.

Needs Debian's python3-numpy and python3-h5py. Run from the repository root:
    /usr/bin/python3 tests/data/refs/gen/qkeras_po2_refs.py
It rewrites tests/data/refs/qkeras_mnist_dense.{inputs,float,fixed}.csv and
tests/data/refs/qkeras-v3_3layer.{float,fixed}.csv (the latter on
refs/inputs16.csv).
"""
import io
import json
import math
import zipfile
from fractions import Fraction

import h5py
import numpy as np

from refcsv import write_exact, write_float

K = "tests/data/models/keras"
R = "tests/data/refs"
EPS = float(np.float32(1e-7))  # Keras' epsilon as float32


# ---- the models -----------------------------------------------------------------
def quantizer(q):
    """(class, config dict) of a quantizer given as a dict or as text."""
    if isinstance(q, dict):
        return q["class_name"], dict(q["config"])
    name, args = q.split("(", 1)
    pos = {"quantized_relu": ["bits", "integer"], "quantized_bits": ["bits", "integer", "symmetric", "keep_negative"],
           "quantized_po2": ["bits", "max_value"]}[name.strip()]
    cfg = {}
    for i, a in enumerate(x for x in args.rstrip(")").split(",") if x.strip()):
        k, v = a.split("=") if "=" in a else (pos[i], a)
        cfg[k.strip()] = json.loads(v.strip().replace("True", "true").replace("False", "false"))
    return name.strip(), cfg


def layers_of(cfg, weights):
    out = []
    for L in cfg["config"]["layers"]:
        cls, c = L["class_name"], L["config"]
        if cls == "InputLayer":
            continue
        if cls == "QDense":
            kern, bias = weights(c["name"])
            assert c["activation"] == "linear" and c["use_bias"]
            out.append(("dense", quantizer(c["kernel_quantizer"]), quantizer(c["bias_quantizer"]), kern, bias))
        elif cls == "QActivation":
            out.append(("act", quantizer(c["activation"])))
        elif cls == "Activation":
            assert c["activation"] == "softmax"
            out.append(("softmax",))
        else:
            raise SystemExit("unexpected layer " + cls)
    return out


def load_mnist_dense():
    cfg = json.load(open(K + "/qkeras_mnist_dense.json"))
    f = h5py.File(K + "/qkeras_mnist_dense_weights.h5", "r")
    def weights(name):
        g = f[name][name]
        return np.array(g["kernel:0"]), np.array(g["bias:0"])
    return layers_of(cfg, weights)


def load_v3():
    z = zipfile.ZipFile(K + "/qkeras-v3_3layer.keras")
    cfg = json.loads(z.read("config.json"))
    f = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
    by_name = {}
    for key in f["layers"]:
        v = f["layers"][key]["vars"]
        by_name[v.attrs["name"]] = v
    def weights(name):
        v = by_name[name]
        return np.array(v["0"]), np.array(v["1"])
    return layers_of(cfg, weights)


# ---- quantizers on exact rationals ----------------------------------------------
def round_half_even(v):
    fl = math.floor(v)
    d = v - fl
    if d != Fraction(1, 2):
        return fl + (1 if d > Fraction(1, 2) else 0)
    return fl if fl % 2 == 0 else fl + 1


def q_bits(c, v):
    alpha = c.get("alpha")
    assert alpha in (None, 1), "alpha %r" % alpha
    kn = 1 if c.get("keep_negative", True) else 0
    u = c["bits"] - kn
    assert u > 0
    m = 2 ** u
    step = Fraction(2) ** c["integer"] / m
    lo = kn * (int(bool(c.get("symmetric", 0))) - m)
    return step * min(max(round_half_even(v / step), lo), m - 1)


def q_relu(c, v):
    step = Fraction(2) ** (c.get("integer", 0) - c["bits"])
    return step * min(max(round_half_even(max(v, 0) / step), 0), 2 ** c["bits"] - 1)


def po2_range(c):
    mv = c.get("max_value")
    need_sign = 0 if mv is not None and mv <= 1 else 1
    n = c["bits"] - 1 - need_sign
    assert not c.get("quadratic_approximation") and c.get("log2_rounding", "rnd") == "rnd"
    assert not c.get("use_stochastic_rounding")
    return -2 ** n, 2 ** n - 1


def round_log2(a):
    """round(log2 a) for a rational a > 0, decided exactly (no tie exists)."""
    k = math.floor(math.log2(a))  # a first guess, corrected exactly below
    while Fraction(2) ** k > a:
        k -= 1
    while Fraction(2) ** (k + 1) <= a:
        k += 1
    # 2^k <= a < 2^(k+1): the rounding boundary is 2^k * sqrt(2)
    return k + 1 if a * a > Fraction(2) ** (2 * k + 1) else k


def q_po2(c, v):
    lo, hi = po2_range(c)
    sign = -1 if v < 0 else 1
    a = abs(v)
    if a < Fraction(EPS):
        return sign * Fraction(2) ** lo
    mv = c.get("max_value")
    if mv is not None and a >= Fraction(float(np.float32(mv))):
        a = Fraction(float(np.float32(mv)))
    return sign * Fraction(2) ** min(max(round_log2(a), lo), hi)


def quantize(q, v):
    cls, c = q
    return {"quantized_bits": q_bits, "quantized_relu": q_relu, "quantized_po2": q_po2}[cls](c, v)


def po2_margin(layers):
    """Smallest relative distance of a po2-quantized weight from a log2 rounding boundary."""
    worst = 1.0
    for L in layers:
        if L[0] != "dense":
            continue
        for q, arr in ((L[1], L[3]), (L[2], L[4])):
            if q[0] != "quantized_po2":
                continue
            for w in np.abs(arr.astype(np.float64)).ravel():
                if w < EPS:
                    continue
                e = math.log2(w) - math.floor(math.log2(w))
                worst = min(worst, abs(2 ** e / math.sqrt(2) - 1))
    return worst


# ---- the two forward passes -----------------------------------------------------
def quantized_params(L):
    W = [[quantize(L[1], Fraction(float(w))) for w in row] for row in L[3]]
    B = [quantize(L[2], Fraction(float(b))) for b in L[4]]
    return W, B


def float_forward(layers, params, x):
    for i, L in enumerate(layers):
        if L[0] == "dense":
            W, B = params[i]
            x = x @ np.array([[float(w) for w in r] for r in W]) + np.array([float(b) for b in B])
            last_dense = x
        elif L[0] == "act":
            x = np.vectorize(lambda v: float(quantize(L[1], Fraction(float(v)))))(x)
        else:
            e = np.exp(x - x.max(axis=1, keepdims=True))
            x = e / e.sum(axis=1, keepdims=True)
    return x, last_dense


def input_cast(v):
    """ap_fixed<16,6>, AP_TRN, AP_WRAP."""
    c = math.floor(Fraction(float(v)) * 2 ** 10)
    c = (c + 2 ** 15) % 2 ** 16 - 2 ** 15
    return Fraction(c, 2 ** 10)


def exact_forward(layers, params, row):
    x = [input_cast(v) for v in row]
    out = None
    for i, L in enumerate(layers):
        if L[0] == "dense":
            W, B = params[i]
            x = [B[j] + sum(W[k][j] * x[k] for k in range(len(x)) if x[k]) for j in range(len(B))]
            out = x
        elif L[0] == "act":
            x = [quantize(L[1], v) for v in x]
    return out


def run(stem, layers, x, representable):
    params = {i: quantized_params(L) for i, L in enumerate(layers) if L[0] == "dense"}
    yf, last = float_forward(layers, params, x.astype(np.float64))
    ye = [exact_forward(layers, params, r) for r in x]
    if representable:
        for r in range(len(x)):
            for j in range(last.shape[1]):
                if Fraction(float(last[r, j])) != ye[r][j]:
                    raise SystemExit("%s row %d output %d: float %r, exact %s" % (stem, r, j, last[r, j], ye[r][j]))
    write_float(R + "/%s.float.csv" % stem, yf)
    write_exact(R + "/%s.fixed.csv" % stem, ye)
    print("%s: %d rows, argmax classes %s, po2 boundary margin %.3g" %
          (stem, len(x), np.bincount(np.argmax(yf, axis=1), minlength=yf.shape[1]).tolist(), po2_margin(layers)))


def main():
    rng = np.random.RandomState(20261202)
    # MNIST-like rows: 784 values, multiples of 2^-8 in [-0.5, 1.5) (so that the
    # input type holds them exactly and quantized_relu(2) sees ties and clipping).
    x = (rng.randint(-128, 384, size=(100, 784)) / 256.0).astype(np.float32)
    write_float(R + "/qkeras_mnist_dense.inputs.csv", x)
    run("qkeras_mnist_dense", load_mnist_dense(), x, True)
    x16 = np.loadtxt(R + "/inputs16.csv", delimiter=",").astype(np.float32)
    run("qkeras-v3_3layer", load_v3(), x16, False)


if __name__ == "__main__":
    main()

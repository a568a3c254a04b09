#!/usr/bin/python3
"""Exact fixed-point reference for qkeras_mnist_cnn (hls4ml example collection)
with the types nnfirm's generated configuration gives it.

Written for nnfirm's test data, independently of its C code. The model:
QConv2D(16, 3x3, relu) -> QActivation(quantized_relu(6,0)) -> MaxPooling2D(2)
-> QConv2D(16, 3x3, relu) -> QActivation(quantized_relu(6,0)) -> MaxPooling2D(2)
-> Flatten -> Dropout -> QDense(10) -> softmax, every kernel and bias
quantized_bits(6,0) (step 2^-5, codes -32..31, round half to even as tf.round).

The types (what `nnfirm config` writes for this model, 2026-12-02, and for the
convolutions' accumulators, which it does not write, the exact sum type
docs/conversion.md gives a quantized layer):
  input                         ap_fixed<16,6>            (AP_TRN, AP_WRAP)
  q_conv2d     weight, bias     ap_fixed<6,1>  (the quantizer's values, exact)
               accum            ap_fixed<24,9>
               result           ap_fixed<16,6>
  q_conv2d_relu                 ap_fixed<16,6>
  q_activation (quantized_relu(6,0))  ap_ufixed<6,0,AP_RND_CONV,AP_SAT>
  max_pooling2d accum, result   ap_fixed<16,6>
  q_conv2d_1   weight, bias     ap_fixed<6,1>, accum ap_fixed<26,11>, result ap_fixed<16,6>
  q_conv2d_1_relu               ap_fixed<16,6>
  q_activation_1                ap_ufixed<6,0,AP_RND_CONV,AP_SAT>
  max_pooling2d_1               ap_fixed<16,6>
  q_dense      weight, bias     ap_fixed<6,1>, accum ap_fixed<20,9>, result ap_fixed<20,9>
hls4ml's semantics on them (SPEC §3): per output, acc = (accum_t) bias, then
acc = (accum_t)(acc + (accum_t)(x * w)) over the window (kernel rows, kernel
columns, channels) or the Dense's inputs, y = (result_t) acc; ReLU
y = (result_t) max(x, 0); max pooling the largest cell cast to accum_t then
result_t. A cast floors (AP_TRN) or rounds half to even (AP_RND_CONV) at the
target's fraction bits, then wraps (AP_WRAP) or clips (AP_SAT) to its range.

Arithmetic: every value is held as an integer code and its count of fraction
bits (value = code / 2^frac), so every product, sum and cast is exact (exact
rationals whose denominators are powers of two); sums run in numpy int64,
which holds them with no overflow (asserted). The last QDense's outputs are
written as exact decimals. The script also prints, for information, how many
rows' argmax agree with the float QKeras model (cnn_refs.py's forward pass).

Needs Debian's python3-numpy and python3-h5py. Run from the repository root:
    /usr/bin/python3 tests/data/refs/gen/qkeras_cnn_refs.py
It reads tests/data/refs/cnn_qkeras_mnist_cnn.inputs.csv (20 rows, written by
cnn_refs.py) and writes tests/data/refs/cnn_qkeras_mnist_cnn.generated.fixed.csv.
"""
import json
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cnn_refs  # noqa: E402  (weights reader and the float forward pass)

K = "tests/data/models/keras"
R = "tests/data/refs"
NAME = "qkeras_mnist_cnn"


class T:
    """An ap_fixed / ap_ufixed type: width, integer bits, signed, rounding, overflow."""

    def __init__(self, w, i, signed=True, q="TRN", o="WRAP"):
        self.w, self.i, self.signed, self.q, self.o = w, i, signed, q, o
        self.f = w - i
        self.lo = -(1 << (w - 1)) if signed else 0
        self.hi = (1 << (w - 1)) - 1 if signed else (1 << w) - 1


def cast(code, frac, t):
    """Codes (int64 array) with `frac` fraction bits into type t's codes."""
    c = np.asarray(code, dtype=np.int64)
    if t.f >= frac:
        c = c << (t.f - frac)
    else:
        d = frac - t.f
        fl = c >> d  # arithmetic shift: floor
        if t.q == "TRN":
            c = fl
        elif t.q == "RND_CONV":
            rem = c - (fl << d)
            half = 1 << (d - 1)
            c = fl + ((rem > half) | ((rem == half) & ((fl & 1) == 1)))
        else:
            raise ValueError(t.q)
    if t.o == "SAT":
        return np.clip(c, t.lo, t.hi)
    m = c & ((1 << t.w) - 1)
    return np.where(m > t.hi, m - (1 << t.w), m) if t.signed else m


FIX16_6 = T(16, 6)
W6_1 = T(6, 1)
ACT = T(6, 0, signed=False, q="RND_CONV", o="SAT")
TYPES = {
    "q_conv2d": (T(24, 9), FIX16_6),
    "q_conv2d_1": (T(26, 11), FIX16_6),
    "q_dense": (T(20, 9), T(20, 9)),
}
BIG = 1 << 60


def quant_code(v):
    """quantized_bits(6,0): round(v * 32) half to even, clipped to -32..31, as a 5-fraction-bit code."""
    return np.clip(np.round(np.asarray(v, dtype=np.float64) * 32), -32, 31).astype(np.int64)


def layer_sum(xs, fx, wc, bc, ta):
    """xs [n][k] codes (fx fraction bits), wc [k][m], bc [m] (5 fraction bits):
    acc = (accum_t) bias; acc = (accum_t)(acc + (accum_t)(x * w)) in order."""
    fp = fx + 5  # a product's fraction bits
    acc = np.broadcast_to(cast(bc, 5, ta), (xs.shape[0], wc.shape[1])).copy()
    for k in range(wc.shape[0]):
        prod = xs[:, k:k + 1] * wc[k:k + 1, :]
        assert np.abs(prod).max(initial=0) < BIG
        acc = cast(acc + cast(prod, fp, ta), ta.f, ta)  # both at accum_t's fraction bits
    return acc


def conv(x, fx, kern, bias, types):
    """x: (H, W, C) codes; valid 3x3 stride 1; returns (codes of result_t, its frac)."""
    ta, tr = types
    kh, kw, c, nf = kern.shape
    h, w, _ = x.shape
    ho, wo = h - kh + 1, w - kw + 1
    patches = np.array([x[i:i + kh, j:j + kw, :].reshape(-1) for i in range(ho) for j in range(wo)])
    acc = layer_sum(patches, fx, quant_code(kern).reshape(-1, nf), quant_code(bias), ta)
    return cast(acc, ta.f, tr).reshape(ho, wo, nf), tr.f


def relu(x, fx, t):
    return cast(np.maximum(x, 0), fx, t), t.f


def maxpool(x, fx):
    h, w, c = x.shape
    ho, wo = h // 2, w // 2
    y = x[:2 * ho, :2 * wo, :].reshape(ho, 2, wo, 2, c).max(axis=(1, 3))
    acc = cast(y, fx, FIX16_6)  # accum_t
    return cast(acc, FIX16_6.f, FIX16_6), FIX16_6.f  # result_t


def forward_fixed(h5, row):
    x = cast(np.floor(row.astype(np.float64) * 1024).astype(np.int64), 10, FIX16_6).reshape(28, 28, 1)
    fx = 10
    for conv_name, act_name in (("q_conv2d", "q_activation"), ("q_conv2d_1", "q_activation_1")):
        w = cnn_refs.weights(h5, conv_name)
        x, fx = conv(x, fx, w["kernel"], w["bias"], TYPES[conv_name])
        x, fx = relu(x, fx, FIX16_6)       # the fused relu, ap_fixed<16,6>
        x, fx = relu(x, fx, ACT)           # quantized_relu(6,0)
        x, fx = maxpool(x, fx)
    flat = x.reshape(1, -1)                # Flatten (channels-last), Dropout: nothing
    w = cnn_refs.weights(h5, "q_dense")
    ta, tr = TYPES["q_dense"]
    acc = layer_sum(flat, fx, quant_code(w["kernel"]), quant_code(w["bias"]), ta)
    return cast(acc, ta.f, tr)[0], tr.f


def main():
    cfg = json.load(open(os.path.join(K, NAME + ".json")))
    h5 = h5py.File(os.path.join(K, NAME + "_weights.h5"), "r")
    xs = np.loadtxt(os.path.join(R, "cnn_%s.inputs.csv" % NAME), delimiter=",", dtype=np.float32, ndmin=2)
    agree = 0
    with open(os.path.join(R, "cnn_%s.generated.fixed.csv" % NAME), "w") as out:
        for row in xs:
            y, f = forward_fixed(h5, row)
            out.write(",".join(cnn_refs.fmt(int(v), f) for v in y) + "\n")
            fl = cnn_refs.forward_float(cfg, h5, row.astype(np.float64).reshape(28, 28, 1))
            agree += int(np.argmax(fl) == np.argmax(y))
    print("%s: %d rows; argmax equal to the float QKeras model's on %d" % (NAME, len(xs), agree))


if __name__ == "__main__":
    main()

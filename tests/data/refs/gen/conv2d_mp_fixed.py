#!/usr/bin/python3
"""The exact ap_fixed<16,6> logits of the hls4ml example collection's
conv2d_small_mp_keras.onnx (Conv 3x3/2 -> Selu -> BatchNormalization ->
Conv 5x5/2 -> Selu -> MaxPool 2x2 -> Flatten -> Gemm -> Selu -> Gemm), on
the 20 rows onnx_acts.py wrote (cnn_conv2d_small_mp_keras.inputs.csv): the
output of the last Gemm, before the Softmax, as hls4ml's firmware computes it
with every type ap_fixed<16,6> (AP_TRN, AP_WRAP) and its Selu table at the
defaults (table_t ap_fixed<18,8>, 1,024 entries).

Written for nnfirm's test data from the semantics of hls4ml's templates
(nnet_conv2d / nnet_dense: acc = bias, acc += (accum_t)(x * w) over the
window; nnet_batchnorm normalize: x * scale + bias; nnet_pooling max;
nnet_activation.h selu, read in its source), in Python integers, not from
nnfirm's C code:

  Selu, x >= 0: lambda * x, lambda an ap_ufixed<16,1> (1.0507009873554805
    truncated to 15 fraction bits), the product cast to the result type
  Selu, x < 0: table[i], i = (int)(x * 1024 / -8) clamped to 0..1023, the
    table's entry i the float32 function 1.0507... * (1.6732... * (exp(v) - 1))
    at v = -8 i / 1024 (std::exp of a float: numpy's float32 exp here),
    converted to table_t

Integer codes carry 10 fraction bits; every cast floors and wraps (AP_TRN,
AP_WRAP). The BatchNormalization's scale gamma / sqrt(var + eps) and shift
beta - mean * scale are computed in float64, as hls4ml's converter does, and
floored to ap_fixed<16,6>. Needs Debian's python3-onnx and python3-numpy.
Run from the repository root:
    /usr/bin/python3 tests/data/refs/gen/conv2d_mp_fixed.py
"""
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cnn_refs import F, cast, dense_fixed, fmt, from_real  # noqa: E402
from onnx_layouts import M, R  # noqa: E402

NAME = "cnn_conv2d_small_mp_keras"
TABLE_N, TABLE_FRAC, TABLE_W = 1024, 10, 18  # table_t ap_fixed<18,8>
LAMBDA_FRAC = 15  # ap_ufixed<16,1>
LAMBDA = int(np.floor(1.0507009873554805 * 2.0 ** LAMBDA_FRAC))


def table_entry(i):
    v = np.float32(-8.0 * i / float(TABLE_N))
    e = float(np.exp(v))  # std::exp(float): a float32
    y = float(np.float32(1.0507009873554804934193349852946 * (1.6732632423543772848170429916717 * (e - 1.0))))
    code = int(np.floor(y * 2.0 ** TABLE_FRAC)) & ((1 << TABLE_W) - 1)
    return code - (1 << TABLE_W) if code >= 1 << (TABLE_W - 1) else code


TABLE = [table_entry(i) for i in range(TABLE_N)]


def selu(code):
    if code >= 0:
        return cast(code * LAMBDA, F + LAMBDA_FRAC)
    # x * 1024 / -8 is exact (powers of two); its int conversion truncates toward zero
    index = (-code * TABLE_N // 8) >> F
    index = min(max(index, 0), TABLE_N - 1)
    return cast(TABLE[index], TABLE_FRAC)  # table_t into the result type


def conv(x, w, b, strides, pads):  # x codes (C, H, W); w (F, C, kh, kw) floats; pads (t, l, b, r)
    c, h, wd = x.shape
    f, _, kh, kw = w.shape
    xp = np.zeros((c, h + pads[0] + pads[2], wd + pads[1] + pads[3]), dtype=object)
    xp[:, :, :] = 0
    xp[:, pads[0]:pads[0] + h, pads[1]:pads[1] + wd] = x
    # the window as (kernel row, kernel column, channel), hls4ml's order (a wrapping sum does not depend on it)
    wc = np.vectorize(from_real)(w.transpose(2, 3, 1, 0).reshape(-1, f)).astype(object)
    bc = [from_real(v) for v in b]
    ho, wo = (xp.shape[1] - kh) // strides[0] + 1, (xp.shape[2] - kw) // strides[1] + 1
    y = np.zeros((f, ho, wo), dtype=object)
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, i * strides[0]:i * strides[0] + kh, j * strides[1]:j * strides[1] + kw]
            y[:, i, j] = dense_fixed(list(patch.transpose(1, 2, 0).reshape(-1)), wc, bc)
    return y


def main():
    m = onnx.load("%s/conv2d_small_mp_keras.onnx" % M)
    init = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in m.graph.initializer}
    nd = m.graph.node
    want = ["Transpose", "Conv", "Selu", "BatchNormalization", "Conv", "Selu", "MaxPool", "Transpose", "Flatten",
            "Gemm", "Selu", "Gemm", "Softmax"]
    assert [n.op_type for n in nd] == want
    att = [{a.name: helper.get_attribute_value(a) for a in n.attribute} for n in nd]
    for k in (2, 5, 10):
        assert not att[k], "Selu with attributes"
    for k in (9, 11):
        assert att[k].get("transB", 0) == 0 and att[k].get("alpha", 1.0) == 1.0 and att[k].get("beta", 1.0) == 1.0
    assert att[6]["kernel_shape"] == [2, 2] and att[6]["strides"] == [2, 2] and not any(att[6].get("pads", [0]))
    gamma, beta, mean, var = (init[i] for i in nd[3].input[1:])
    scale = gamma / np.sqrt(var + att[3]["epsilon"])
    sc = [from_real(v) for v in scale]
    sh = [from_real(v) for v in beta - mean * scale]
    vselu = np.vectorize(selu, otypes=[object])

    def fwd(x):  # x float (25, 25, 1) channels-last
        t = np.vectorize(from_real, otypes=[object])(x.transpose(2, 0, 1))
        c = vselu(conv(t, init[nd[1].input[1]], init[nd[1].input[2]], att[1]["strides"], att[1]["pads"]))
        for ch in range(c.shape[0]):  # exact x * scale (20 fraction bits) + shift (10), then into <16,6>
            c[ch] = np.vectorize(lambda v: cast(v * sc[ch] + (sh[ch] << F), 2 * F), otypes=[object])(c[ch])
        c = vselu(conv(c, init[nd[4].input[1]], init[nd[4].input[2]], att[4]["strides"], att[4]["pads"]))
        ch, h, w = c.shape
        p = np.zeros((ch, h // 2, w // 2), dtype=object)
        for i in range(h // 2):
            for j in range(w // 2):
                for k in range(ch):
                    p[k, i, j] = max(c[k, 2 * i + a, 2 * j + b] for a in (0, 1) for b in (0, 1))
        f = list(p.transpose(1, 2, 0).reshape(-1))  # Transpose to NHWC, then Flatten
        g = init[nd[9].input[1]]
        h1 = vselu(np.array(dense_fixed(f, np.vectorize(from_real)(g).astype(object),
                                        [from_real(v) for v in init[nd[9].input[2]]]), dtype=object))
        g = init[nd[11].input[1]]
        return dense_fixed(list(h1), np.vectorize(from_real)(g).astype(object),
                           [from_real(v) for v in init[nd[11].input[2]]])

    xs = np.loadtxt("%s/%s.inputs.csv" % (R, NAME), delimiter=",", ndmin=2)
    with open("%s/%s.fixed16_6.logits.csv" % (R, NAME), "w") as out:
        for x in xs:
            out.write(",".join(fmt(v) for v in fwd(x.reshape(25, 25, 1))) + "\n")
    print(NAME, len(xs), "rows")


if __name__ == "__main__":
    main()

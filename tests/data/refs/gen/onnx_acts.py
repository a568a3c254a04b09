#!/usr/bin/python3
"""ONNX activations (issue 15): one small graph per activation operator that
nnfirm's ONNX importer maps onto its Keras activations, and the float
outputs of an independent numpy pass that computes each operator as the
ONNX operator documents define it (with ONNX's float32 attribute values):

  Elu(alpha)             x >= 0 ? x : alpha (e^x - 1)        (here alpha 0.7)
  Selu(alpha, gamma)     gamma (x > 0 ? x : alpha (e^x - 1))  (the defaults)
  HardSigmoid(alpha, b)  max(0, min(1, alpha x + beta))       (0.2, 0.5)
  LeakyRelu(alpha)       x >= 0 ? x : alpha x                 (here 0.2)
  ThresholdedRelu(alpha) x > alpha ? x : 0                    (here 0.3)
  PRelu(x, slope)        x >= 0 ? x : slope x, slope broadcast (numpy's rule)

  nnfirm_onnx_<act>.onnx: input (8) -> Gemm 8x6 -> <act> -> Gemm 6x3
  nnfirm_onnx_prelu.onnx: the same with PRelu, one slope per feature (6)
  nnfirm_onnx_prelu_conv.onnx: NHWC input (4, 4, 2) -> Transpose to NCHW ->
    Conv 3x3 pads 1, 3 filters -> PRelu with slope (3, 1, 1) (per channel)
    -> Flatten in (C, H, W) order -> Gemm 48x3
  nnfirm_onnx_prelu_pixels.onnx: the same with a slope of shape (3, 4, 4)

It also writes the float reference of the hls4ml example collection's
conv2d_small_mp_keras.onnx (Conv 3x3/2 -> Selu -> BatchNormalization -> Conv
5x5/2 -> Selu -> MaxPool 2x2 -> Flatten -> Gemm -> Selu -> Gemm -> Softmax),
read with python-onnx and computed in numpy from its initializers, and the
hostile graphs ../hostile/onnx/onnx_prelu_bad_slope.onnx (a slope of 4 values
for 6 features), onnx_selu_alpha.onnx (alpha 2) and
onnx_hard_sigmoid_alpha.onnx (alpha 1/6, PyTorch's Hardsigmoid).

Written for nnfirm's test data (random weights, seeded); needs Debian's
python3-onnx and python3-numpy. Run from the repository root:
    /usr/bin/python3 tests/data/refs/gen/onnx_acts.py
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_layouts import M, R, conv_nchw, f32, pool_nchw, save, softmax  # noqa: E402
from refcsv import write_float  # noqa: E402

rng = np.random.default_rng(20261215)
F32 = lambda v: float(np.float32(v))  # noqa: E731  ONNX's attributes are float32

# ONNX's Selu defaults (the operator document's float32 values)
SELU_ALPHA, SELU_GAMMA = 1.67326319217681884765625, 1.05070102214813232421875

ACTS = {  # name: (op, attributes, numpy forward)
    "elu": ("Elu", {"alpha": 0.7}, lambda x: np.where(x >= 0, x, F32(0.7) * np.expm1(x))),
    "selu": ("Selu", {}, lambda x: SELU_GAMMA * np.where(x > 0, x, SELU_ALPHA * np.expm1(x))),
    "hard_sigmoid": ("HardSigmoid", {}, lambda x: np.clip(F32(0.2) * x + 0.5, 0, 1)),
    "leaky_relu": ("LeakyRelu", {"alpha": 0.2}, lambda x: np.where(x >= 0, x, F32(0.2) * x)),
    "thresholded_relu": ("ThresholdedRelu", {"alpha": 0.3}, lambda x: np.where(x > F32(0.3), x, 0.0)),
}


def dense_model(name, act_node, inits_extra, act_fwd):
    W, B = f32(rng.normal(0, 0.8, (8, 6))).astype(np.float64), f32(rng.normal(0, 0.3, 6)).astype(np.float64)
    G, C = f32(rng.normal(0, 0.5, (6, 3))).astype(np.float64), f32(rng.normal(0, 0.1, 3)).astype(np.float64)
    nodes = [helper.make_node("Gemm", ["x", "W", "B"], ["h"]), act_node,
             helper.make_node("Gemm", ["a", "G", "C"], ["y"])]
    inits = {"W": W, "B": B, "G": G, "C": C}
    inits.update(inits_extra)
    save(name, nodes, helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8]),
         helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3]), inits)
    return lambda x: act_fwd(x @ W + B) @ G + C


def prelu_conv_model(name="nnfirm_onnx_prelu_conv", S=f32([[[0.25]], [[-0.5]], [[1.5]]]).astype(np.float64)):
    """S (3, 1, 1): one slope per channel; (3, 4, 4): one per element of the image"""
    W, B = f32(rng.normal(0, 0.5, (3, 2, 3, 3))).astype(np.float64), f32(rng.normal(0, 0.1, 3)).astype(np.float64)
    G, C = f32(rng.normal(0, 0.3, (48, 3))).astype(np.float64), f32(rng.normal(0, 0.1, 3)).astype(np.float64)
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["t", "W", "B"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("PRelu", ["c", "S"], ["p"], name="prelu_c"),
        helper.make_node("Flatten", ["p"], ["f"], axis=1),
        helper.make_node("Gemm", ["f", "G", "C"], ["y"]),
    ]
    save(name, nodes, helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 4, 2]),
         helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3]), {"W": W, "B": B, "S": S, "G": G, "C": C})

    def fwd(x):  # x (4, 4, 2) channels-last
        c = conv_nchw(x.transpose(2, 0, 1), W, B, [1, 1], [1, 1, 1, 1])
        p = np.where(c >= 0, c, S * c)  # broadcast over (3, 4, 4)
        return p.reshape(-1) @ G + C
    return fwd


def write(name, xs, fwd):
    write_float("%s/%s.float.csv" % (R, name), [fwd(x) for x in xs])
    print(name, len(xs))


def acts():
    # 40 rows: normal(0, 1.5) and uniform in [-6, 6] (HardSigmoid clips, Elu/Selu reach e^-x's tail)
    xs = f32(np.concatenate([rng.normal(0, 1.5, (20, 8)), rng.uniform(-6, 6, (20, 8))])).astype(np.float64)
    write_float("%s/nnfirm_onnx_acts.inputs.csv" % R, xs)
    for act, (op, attrs, fn) in ACTS.items():
        node = helper.make_node(op, ["h"], ["a"], name=act, **attrs)
        write("nnfirm_onnx_" + act, xs, dense_model("nnfirm_onnx_" + act, node, {}, fn))
    S = f32(rng.uniform(-0.5, 0.8, 6)).astype(np.float64)
    node = helper.make_node("PRelu", ["h", "S"], ["a"], name="prelu")
    write("nnfirm_onnx_prelu", xs, dense_model("nnfirm_onnx_prelu", node, {"S": S},
                                               lambda h: np.where(h >= 0, h, S * h)))
    fwd = prelu_conv_model()
    xc = f32(rng.normal(0, 1, (20, 4, 4, 2))).astype(np.float64)
    write_float("%s/nnfirm_onnx_prelu_conv.inputs.csv" % R, xc.reshape(len(xc), -1))
    write("nnfirm_onnx_prelu_conv", xc, fwd)
    # hostile: a slope of 4 values for 6 features (no numpy broadcast); Selu and HardSigmoid with
    # constants other than hls4ml's (PyTorch's Hardsigmoid exports alpha 1/6)
    for name, node, extra in (("prelu_bad_slope", helper.make_node("PRelu", ["h", "S"], ["y"], name="prelu_bad"),
                               {"S": np.full(4, 0.1)}),
                              ("selu_alpha", helper.make_node("Selu", ["h"], ["y"], name="selu_2", alpha=2.0), {}),
                              ("hard_sigmoid_alpha", helper.make_node("HardSigmoid", ["h"], ["y"], name="hsig",
                                                                      alpha=1 / 6), {})):
        inits = {"W": np.ones((8, 6)), "B": np.zeros(6)}
        inits.update(extra)
        g = helper.make_graph([helper.make_node("Gemm", ["x", "W", "B"], ["h"]), node], "bad",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 6])],
                              [numpy_helper.from_array(f32(v), k) for k, v in inits.items()])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="nnfirm test data")
        onnx.save(m, "tests/data/hostile/onnx/onnx_%s.onnx" % name)


def selu(x):
    return SELU_GAMMA * np.where(x > 0, x, SELU_ALPHA * np.expm1(x))


def conv2d_small_mp():
    """The collection's model, every operator written out from its own attributes."""
    m = onnx.load("%s/conv2d_small_mp_keras.onnx" % M)
    init = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in m.graph.initializer}
    want = ["Transpose", "Conv", "Selu", "BatchNormalization", "Conv", "Selu", "MaxPool", "Transpose", "Flatten",
            "Gemm", "Selu", "Gemm", "Softmax"]
    got = [n.op_type for n in m.graph.node]
    assert got == want, got
    for n in m.graph.node:
        assert n.op_type != "Selu" or not n.attribute, "Selu with attributes"
    att = [{a.name: helper.get_attribute_value(a) for a in n.attribute} for n in m.graph.node]
    nd = m.graph.node

    def conv(x, k):
        a = att[k]
        assert a.get("dilations", [1, 1]) == [1, 1] and a.get("group", 1) == 1
        p = a["pads"]  # (top, left, bottom, right) as ONNX orders them
        return conv_nchw(x, init[nd[k].input[1]], init[nd[k].input[2]], a["strides"], p)

    bn = [init[i] for i in nd[3].input[1:]]  # scale, bias, mean, var
    eps = att[3]["epsilon"]

    def fwd(x):  # x (25, 25, 1) channels-last, as the graph's input
        t = x.transpose(2, 0, 1)
        c = selu(conv(t, 1))
        c = ((c - bn[2][:, None, None]) / np.sqrt(bn[3][:, None, None] + eps)) * bn[0][:, None, None] + bn[1][:, None, None]
        c = selu(conv(c, 4))
        assert att[6]["kernel_shape"] == [2, 2] and att[6]["strides"] == [2, 2]
        p = pool_nchw(c, [2, 2], [2, 2], att[6].get("pads", [0, 0, 0, 0]), "max")
        f = p.transpose(1, 2, 0).reshape(-1)  # Transpose to NHWC, then Flatten
        h = selu(f @ init[nd[9].input[1]] + init[nd[9].input[2]])
        return softmax(h @ init[nd[11].input[1]] + init[nd[11].input[2]])

    xs = f32(np.concatenate([rng.normal(0, 1, (10, 25, 25, 1)), rng.uniform(-3, 3, (10, 25, 25, 1))]))
    xs = xs.astype(np.float64)
    write_float("%s/cnn_conv2d_small_mp_keras.inputs.csv" % R, xs.reshape(len(xs), -1))
    write("cnn_conv2d_small_mp_keras", xs, fwd)


def prelu_pixels():
    """nnfirm_onnx_prelu_pixels.onnx: prelu_conv's graph with a slope of shape (3, 4, 4), a different one at
    every pixel (io_stream refuses it by name; io_parallel builds it). Drawn last: the files above stay."""
    S = f32(np.linspace(-0.8, 1.2, 48).reshape(3, 4, 4)).astype(np.float64)
    fwd = prelu_conv_model("nnfirm_onnx_prelu_pixels", S)
    xc = f32(rng.normal(0, 1, (20, 4, 4, 2))).astype(np.float64)
    write_float("%s/nnfirm_onnx_prelu_pixels.inputs.csv" % R, xc.reshape(len(xc), -1))
    write("nnfirm_onnx_prelu_pixels", xc, fwd)


if __name__ == "__main__":
    acts()
    conv2d_small_mp()
    prelu_pixels()

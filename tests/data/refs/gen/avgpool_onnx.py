#!/usr/bin/python3
"""A small ONNX graph for average pooling in firmware, and its float outputs
from an independent numpy pass that computes channels-first as ONNX defines
the operators (the helpers of onnx_layouts.py):

  nnfirm_avgpool.onnx: NHWC input (7, 5, 2) -> Transpose to NCHW -> Conv 2x2
    valid, 3 filters, no activation (negative sums reach the pooling) ->
    AveragePool 3x3/1 with pads 1 on every side (count_include_pad=0: windows
    of 4, 6 and 9 cells) -> GlobalAveragePool (24 cells) -> Flatten -> Gemm 3x4

Cell counts that are not powers of two exercise the RTL's constant divider;
the global pooling feeds a Dense in io_stream. Rows: 20 normal(0, 1) and 20
uniform in [-30, 30] (sums that overflow ap_fixed<16,6> and wrap, so the
fixed-point path sees negative and extreme codes; their float outputs are
the float model's, not the fixed point's).

Written for nnfirm's test data (random weights, seeded); needs Debian's
python3-onnx and python3-numpy. Run from the repository root:
    /usr/bin/python3 tests/data/refs/gen/avgpool_onnx.py
It writes tests/data/models/onnx/nnfirm_avgpool.onnx and
tests/data/refs/nnfirm_avgpool.{inputs,float}.csv.
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_layouts import R, conv_nchw, f32, pool_nchw, save  # noqa: E402

rng = np.random.default_rng(20261202)


def model():
    W, B = rng.normal(0, 0.5, (3, 2, 2, 2)), rng.normal(0, 0.1, 3)
    G, C = rng.normal(0, 0.5, (3, 4)), rng.normal(0, 0.1, 4)
    W, B, G, C = (f32(v).astype(np.float64) for v in (W, B, G, C))
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["t", "W", "B"], ["c"], kernel_shape=[2, 2], strides=[1, 1]),
        helper.make_node("AveragePool", ["c"], ["a"], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1],
                         count_include_pad=0),
        helper.make_node("GlobalAveragePool", ["a"], ["p"]),
        helper.make_node("Flatten", ["p"], ["f"], axis=1),
        helper.make_node("Gemm", ["f", "G", "C"], ["y"]),
    ]
    save("nnfirm_avgpool", nodes, helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 7, 5, 2]),
         helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4]), {"W": W, "B": B, "G": G, "C": C})

    def fwd(x):  # x (7, 5, 2) channels-last
        c = conv_nchw(x.transpose(2, 0, 1), W, B, [1, 1], [0, 0, 0, 0])
        a = pool_nchw(c, [3, 3], [1, 1], [1, 1, 1, 1], "avg")
        return a.mean(axis=(1, 2)) @ G + C
    return "nnfirm_avgpool", (7, 5, 2), fwd


def main():
    name, shape, fwd = model()
    xs = np.concatenate([rng.normal(0, 1, (20,) + shape), rng.uniform(-30, 30, (20,) + shape)])
    xs = f32(xs).astype(np.float64)
    with open("%s/%s.inputs.csv" % (R, name), "w") as f:
        for x in xs:
            f.write(",".join(repr(float(v)) for v in x.reshape(-1)) + "\n")
    with open("%s/%s.float.csv" % (R, name), "w") as f:
        for x in xs:
            f.write(",".join("%.17g" % v for v in fwd(x)) + "\n")
    print(name, len(xs))


if __name__ == "__main__":
    main()

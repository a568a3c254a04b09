#!/usr/bin/python3
"""A small ONNX graph with a large max-pooling window, for the pipelined
comparator trees of the RTL, and its float outputs from an independent numpy
pass that computes channels-first as ONNX defines the operators (the
helpers of onnx_layouts.py):

  nnfirm_maxpool.onnx: NHWC input (10, 10, 2) -> Transpose to NCHW -> Conv
    3x3 valid, 3 filters -> MaxPool 4x4/4 (16 cells: four comparator levels)
    -> Flatten -> Gemm 12x4

Written for nnfirm's test data (random weights, seeded); needs Debian's
python3-onnx and python3-numpy. Run from the repository root:
    /usr/bin/python3 tests/data/refs/gen/maxpool_onnx.py
It writes tests/data/models/onnx/nnfirm_maxpool.onnx and
tests/data/refs/nnfirm_maxpool.{inputs,float}.csv.
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_layouts import R, conv_nchw, f32, pool_nchw, save  # noqa: E402

rng = np.random.default_rng(20261203)


def main():
    W, B = rng.normal(0, 0.5, (3, 2, 3, 3)), rng.normal(0, 0.1, 3)
    G, C = rng.normal(0, 0.5, (12, 4)), rng.normal(0, 0.1, 4)
    W, B, G, C = (f32(v).astype(np.float64) for v in (W, B, G, C))
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["t", "W", "B"], ["c"], kernel_shape=[3, 3], strides=[1, 1]),
        helper.make_node("MaxPool", ["c"], ["m"], kernel_shape=[4, 4], strides=[4, 4]),
        helper.make_node("Flatten", ["m"], ["f"], axis=1),
        helper.make_node("Gemm", ["f", "G", "C"], ["y"]),
    ]
    save("nnfirm_maxpool", nodes, helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 10, 10, 2]),
         helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4]), {"W": W, "B": B, "G": G, "C": C})

    def fwd(x):  # x (10, 10, 2) channels-last; Flatten in (C, H, W) order
        c = conv_nchw(x.transpose(2, 0, 1), W, B, [1, 1], [0, 0, 0, 0])
        return pool_nchw(c, [4, 4], [4, 4], [0, 0, 0, 0], "max").reshape(-1) @ G + C

    xs = f32(rng.normal(0, 1, (20, 10, 10, 2))).astype(np.float64)
    with open("%s/nnfirm_maxpool.inputs.csv" % R, "w") as f:
        for x in xs:
            f.write(",".join(repr(float(v)) for v in x.reshape(-1)) + "\n")
    with open("%s/nnfirm_maxpool.float.csv" % R, "w") as f:
        for x in xs:
            f.write(",".join("%.17g" % v for v in fwd(x)) + "\n")
    print("nnfirm_maxpool", len(xs))


if __name__ == "__main__":
    main()

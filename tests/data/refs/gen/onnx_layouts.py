#!/usr/bin/python3
"""Two small ONNX graphs that exercise the layout handling of nnfirm's ONNX
importer, and their float outputs from an independent numpy pass that
computes channels-first (N, C, H, W) as ONNX defines the operators.

  nnfirm_cf_conv2d.onnx: NHWC input (6, 5, 2) -> Transpose to NCHW -> Conv 3x3
    pads 1 -> Relu -> MaxPool 2x2/2 -> AveragePool 2x2/1 with end pads
    (count_include_pad=0) -> Flatten in (C, H, W) order -> Gemm -> Softmax
  nnfirm_cf_conv1d.onnx: NWC input (8, 3) -> Transpose to NCW -> Conv k3/2
    SAME_UPPER -> Relu -> GlobalAveragePool -> Flatten -> Gemm

Written for nnfirm's test data (random weights, seeded); needs Debian's
python3-onnx and python3-numpy. Run from the repository root:
    /usr/bin/python3 tests/data/refs/gen/onnx_layouts.py
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

M, R = "tests/data/models/onnx", "tests/data/refs"
rng = np.random.default_rng(7)


def f32(a):
    return np.asarray(a, dtype=np.float32)


def conv_nchw(x, w, b, strides, pads):  # x (C, H, W), w (F, C, kh, kw), pads (t, l, b, r)
    c, h, wd = x.shape
    f, _, kh, kw = w.shape
    xp = np.zeros((c, h + pads[0] + pads[2], wd + pads[1] + pads[3]))
    xp[:, pads[0]:pads[0] + h, pads[1]:pads[1] + wd] = x
    ho, wo = (xp.shape[1] - kh) // strides[0] + 1, (xp.shape[2] - kw) // strides[1] + 1
    y = np.zeros((f, ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, i * strides[0]:i * strides[0] + kh, j * strides[1]:j * strides[1] + kw]
            y[:, i, j] = np.tensordot(w, patch, axes=([1, 2, 3], [0, 1, 2])) + b
    return y


def pool_nchw(x, k, s, pads, op):  # padded cells ignored (count_include_pad = 0)
    c, h, wd = x.shape
    ho = (h + pads[0] + pads[2] - k[0]) // s[0] + 1
    wo = (wd + pads[1] + pads[3] - k[1]) // s[1] + 1
    y = np.zeros((c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            r0, c0 = i * s[0] - pads[0], j * s[1] - pads[1]
            win = x[:, max(r0, 0):min(r0 + k[0], h), max(c0, 0):min(c0 + k[1], wd)]
            y[:, i, j] = win.max(axis=(1, 2)) if op == "max" else win.mean(axis=(1, 2))
    return y


def softmax(v):
    e = np.exp(v - v.max())
    return e / e.sum()


def save(name, nodes, inp, out, inits):
    g = helper.make_graph(nodes, name, [inp], [out], [numpy_helper.from_array(f32(v), k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="nnfirm test data")
    onnx.checker.check_model(m)
    onnx.save(m, "%s/%s.onnx" % (M, name))


def conv2d_model():
    W, B = rng.normal(0, 0.5, (3, 2, 3, 3)), rng.normal(0, 0.1, 3)
    G, C = rng.normal(0, 0.5, (18, 4)), rng.normal(0, 0.1, 4)
    W, B, G, C = (f32(v).astype(np.float64) for v in (W, B, G, C))
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["t", "W", "B"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("AveragePool", ["p"], ["a"], kernel_shape=[2, 2], strides=[1, 1], pads=[0, 0, 1, 1],
                         count_include_pad=0),
        helper.make_node("Flatten", ["a"], ["f"], axis=1),
        helper.make_node("Gemm", ["f", "G", "C"], ["g"]),
        helper.make_node("Softmax", ["g"], ["y"], axis=1),
    ]
    save("nnfirm_cf_conv2d", nodes, helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 6, 5, 2]),
         helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4]), {"W": W, "B": B, "G": G, "C": C})

    def fwd(x):  # x (6, 5, 2) channels-last
        t = x.transpose(2, 0, 1)
        r = np.maximum(conv_nchw(t, W, B, [1, 1], [1, 1, 1, 1]), 0)
        a = pool_nchw(pool_nchw(r, [2, 2], [2, 2], [0, 0, 0, 0], "max"), [2, 2], [1, 1], [0, 0, 1, 1], "avg")
        return softmax(a.reshape(-1) @ G + C)
    return "nnfirm_cf_conv2d", (6, 5, 2), fwd


def conv1d_model():
    W, B = rng.normal(0, 0.5, (4, 3, 3)), rng.normal(0, 0.1, 4)
    G, C = rng.normal(0, 0.5, (4, 3)), rng.normal(0, 0.1, 3)
    W, B, G, C = (f32(v).astype(np.float64) for v in (W, B, G, C))
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], perm=[0, 2, 1]),
        helper.make_node("Conv", ["t", "W", "B"], ["c"], kernel_shape=[3], strides=[2], auto_pad="SAME_UPPER"),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("GlobalAveragePool", ["r"], ["p"]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("Gemm", ["f", "G", "C"], ["y"]),
    ]
    save("nnfirm_cf_conv1d", nodes, helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 3]),
         helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3]), {"W": W, "B": B, "G": G, "C": C})

    def fwd(x):  # x (8, 3) channels-last; SAME_UPPER: pad total (ceil(8/2)-1)*2+3-8 = 1, at the end
        t = x.T[:, None, :]
        r = np.maximum(conv_nchw(t, W[:, :, None, :], B, [1, 2], [0, 0, 0, 1]), 0)
        return r.mean(axis=(1, 2)) @ G + C
    return "nnfirm_cf_conv1d", (8, 3), fwd


def main():
    for name, shape, fwd in (conv2d_model(), conv1d_model()):
        xs = f32(rng.normal(0, 1, (12,) + shape)).astype(np.float64)
        with open("%s/%s.inputs.csv" % (R, name), "w") as f:
            for x in xs:
                f.write(",".join(repr(float(v)) for v in x.reshape(-1)) + "\n")
        with open("%s/%s.float.csv" % (R, name), "w") as f:
            for x in xs:
                f.write(",".join("%.17g" % v for v in fwd(x)) + "\n")
        print(name)


if __name__ == "__main__":
    main()

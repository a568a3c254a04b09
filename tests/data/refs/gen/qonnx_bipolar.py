#!/usr/bin/python3
"""Bipolar and ternary activations of QONNX graphs (issue 15): references for
the QONNX model zoo's Brevitas TFC_1W1A and TFC_2W2A and small seeded graphs,
evaluated node by node with the evaluator of qonnx_refs.py (BipolarQuant(x, s)
= s where x >= 0, else -s: +1 at 0, as QONNX specifies it; Quant of 2 bits,
signed, narrow, scale 1: round half to even, clip to -1 .. 1).

  qonnx_tfc_1w1a: 50 seeded rows of 784 values in [0, 1], multiples of 2^-8
    (not MNIST images; 2 x - 1 is exactly 0 at x = 0.5, where the bipolar
    input quantizer gives +1): the graph's float64 outputs, and the 64 +-1
    outputs of its last hidden BipolarQuant (BipolarQuant_35), which every
    exact implementation must reproduce; the whole-number sums of the last
    MatMul (MatMul_40, +-1 weights on +-1 inputs), exact too; and the
    graph's final affine (Sub, Div by Pow(var, 0.5), Mul, Add: one scale s
    and offset c) on those sums in hls4ml's fixed point with the model's
    default type ap_fixed<16,6> (AP_TRN, AP_WRAP) for s, c and the result:
    y = (ap_fixed<16,6>)(sum * s_q + c_q), the product and sum exact before
    the one cast (hls4ml's normalize), s and c computed in float64 from the
    graph's float32 constants. The script prints the smallest
    |BatchNormalization output| feeding a hidden BipolarQuant: far above
    float64's rounding, so the float64 decisions are the exact ones.
  qonnx_tfc_2w2a: the 50 rows of qonnx_tfc_2w2a.inputs.csv (written by
    qonnx_refs.py; multiples of 2^-8, so 2 x - 1 is exactly -0.5 or 0.5 at
    x = 0.25 or 0.75, where the input Quant rounds half to even: 0): the 64
    ternary outputs of its last hidden Quant (Quant_49), the whole-number sums
    of the last MatMul (MatMul_56, ternary weights on ternary inputs), and
    the final affine on them in ap_fixed<16,6> as for TFC_1W1A. The script
    prints the smallest distance of a BatchNormalization output feeding a
    hidden Quant from its rounding boundaries +-0.5: far above float64's
    rounding, so the float64 decisions are the exact ones.
  nnfirm_qonnx_bipolar.onnx: input (8) -> Gemm 8x16 (weights, biases
    multiples of 1/4) -> BipolarQuant -> MatMul by BipolarQuant(W2) 16x6 ->
    BatchNormalization (gammas of both signs, some betas 0: the threshold
    is then the mean, an integer the sums reach) -> BipolarQuant -> MatMul
    by BipolarQuant(W3) 6x4. Inputs multiples of 1/2 in [-2, 2]: the Gemm's
    sums are short binary fractions, exact in ap_fixed<16,6>, often exactly 0.
    Its outputs are whole numbers: exact in float64 and in fixed point.
  nnfirm_qonnx_bipolar_scaled.onnx: input (6) -> MatMul 6x3 (multiples of
    1/4) -> BipolarQuant with one power-of-two scale per feature (2, 0.5, 4)
    -> MatMul 3x4 (multiples of 1/4) -> BipolarQuant of scale 0.25 ->
    MatMul 4x2: outputs short binary fractions, exact in float64.
  ../../hostile/onnx/qonnx_bipolar_scale3.onnx: a BipolarQuant of scale 3 on
    the activation (nnfirm takes powers of two only).

Written for nnfirm's test data; needs Debian's python3-onnx and
python3-numpy. Run from the repository root:
    /usr/bin/python3 tests/data/refs/gen/qonnx_bipolar.py
"""
import math
import os
import sys
from fractions import Fraction

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qonnx_refs import M, R, run  # noqa: E402
from refcsv import write_exact, write_float  # noqa: E402

QD = "qonnx.custom_op.general"


def with_output(model, name):
    """The same graph, its output the tensor name (the evaluator returns it)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    del m.graph.output[:]
    m.graph.output.extend([helper.make_tensor_value_info(name, TensorProto.FLOAT, None)])
    return m


def ap_fixed_16_6(v):
    """v (a float or Fraction) in ap_fixed<16,6>: truncated to 10 fraction
    bits toward minus infinity (AP_TRN), wrapped into 16 bits (AP_WRAP)."""
    code = math.floor(Fraction(v) * 1024)
    code = (code + (1 << 15)) % (1 << 16) - (1 << 15)
    return Fraction(code, 1024)


def tfc_tail(name, model, x, hidden_t, sums_t, var_t, half_t, levels):
    """The exact references of a TFC graph on the rows x: the last hidden
    quantizer's values (tensor hidden_t, each in levels), the last MatMul's
    whole-number sums (sums_t), and the final affine on them (the variance in
    var_t, the Pow's exponent 0.5 in half_t) in ap_fixed<16,6>. Returns the
    hidden values."""
    hidden = run(with_output(model, hidden_t), x, False).reshape(len(x), -1)
    assert set(np.unique(hidden)) <= levels
    write_exact("%s/%s.hidden.csv" % (R, name), [[Fraction(int(v)) for v in r] for r in hidden])
    sums = run(with_output(model, sums_t), x, False).reshape(len(x), -1)
    assert np.all(sums == np.round(sums))
    write_exact("%s/%s.sums.csv" % (R, name), [[Fraction(int(v)) for v in r] for r in sums])
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    mean, var = float(init["features.15.running_mean"][0]), float(init[var_t][0])
    gamma, beta = float(init["features.15.weight"][0]), float(init["features.15.bias"][0])
    assert float(init[half_t]) == 0.5
    sc = gamma / np.sqrt(var)
    fixed = [[ap_fixed_16_6(int(v) * ap_fixed_16_6(sc) + ap_fixed_16_6(beta - mean * sc)) for v in r] for r in sums]
    write_exact("%s/%s.fixed.csv" % (R, name), fixed)
    return hidden


def tfc():
    model = onnx.load("%s/qonnx_tfc_1w1a.onnx" % M)
    rng = np.random.default_rng(1111)
    x = rng.integers(0, 257, (50, 784)) / 256.0
    write_exact("%s/qonnx_tfc_1w1a.inputs.csv" % R, [[Fraction(float(v)) for v in r] for r in x])
    write_float("%s/qonnx_tfc_1w1a.float.csv" % R, run(model, x, False).reshape(len(x), -1))
    tfc_tail("qonnx_tfc_1w1a", model, x, "61", "66", "76", "70", {-1.0, 1.0})
    margin = min(np.abs(run(with_output(model, t), x, False)).min() for t in ("43", "51", "59"))
    ties = int((x == 0.5).sum())
    print("qonnx_tfc_1w1a: %d rows, smallest |BN output| before a hidden BipolarQuant %.3g, %d inputs at 0.5"
          % (len(x), margin, ties))


def tfc_2w2a():
    model = onnx.load("%s/qonnx_tfc_2w2a.onnx" % M)
    x = np.loadtxt("%s/qonnx_tfc_2w2a.inputs.csv" % R, delimiter=",")
    hidden = tfc_tail("qonnx_tfc_2w2a", model, x, "75", "82", "92", "86", {-1.0, 0.0, 1.0})
    margin = min(np.abs(np.abs(run(with_output(model, t), x, False)) - 0.5).min() for t in ("47", "59", "71"))
    ties = int(((x == 0.25) | (x == 0.75)).sum())
    print("qonnx_tfc_2w2a: %d rows, smallest distance of a hidden Quant's input from +-0.5 %.3g, %d inputs at "
          "0.25 or 0.75; %d of %d hidden values 0" % (len(x), margin, ties, int((hidden == 0).sum()), hidden.size))


def save_graph(path, name, nodes, n_in, n_out, inits):
    """A one-input, one-output QONNX graph of float32 initializers, saved to
    path and read back."""
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, n_in])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, n_out])],
                          [numpy_helper.from_array(np.asarray(v, dtype=np.float32), k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 9), helper.make_opsetid(QD, 1)],
                          producer_name="nnfirm test data")
    onnx.save(m, path)
    return onnx.load(path)


def small():
    rng = np.random.default_rng(2024)
    W1 = rng.integers(-2, 3, (8, 16)) / 4.0
    B1 = rng.integers(-2, 3, 16) / 4.0
    W2 = rng.normal(0, 1, (16, 6))
    W3 = rng.normal(0, 1, (6, 4))
    gamma = np.array([1.5, -0.75, 2.0, -1.25, 0.5, -2.0])
    beta = np.array([0.0, 0.0, 0.3, -0.2, 0.0, 0.1])
    mean = np.array([2.0, -2.0, 0.0, 4.0, -4.0, 1.0])
    var = np.array([3.0, 1.0, 2.0, 5.0, 0.5, 1.5])
    one = np.array(1.0)
    inits = {"W1": W1, "B1": B1, "W2": W2, "W3": W3, "gamma": gamma, "beta": beta, "mean": mean, "var": var,
             "s": one}
    nodes = [
        helper.make_node("Gemm", ["x", "W1", "B1"], ["g"], name="Gemm_0"),
        helper.make_node("BipolarQuant", ["g", "s"], ["b1"], name="BipolarQuant_act1", domain=QD),
        helper.make_node("BipolarQuant", ["W2", "s"], ["W2q"], name="BipolarQuant_w2", domain=QD),
        helper.make_node("MatMul", ["b1", "W2q"], ["m2"], name="MatMul_2"),
        helper.make_node("BatchNormalization", ["m2", "gamma", "beta", "mean", "var"], ["n2"], name="BN_2",
                         epsilon=1e-5),
        helper.make_node("BipolarQuant", ["n2", "s"], ["b2"], name="BipolarQuant_act2", domain=QD),
        helper.make_node("BipolarQuant", ["W3", "s"], ["W3q"], name="BipolarQuant_w3", domain=QD),
        helper.make_node("MatMul", ["b2", "W3q"], ["y"], name="MatMul_3"),
    ]
    m = save_graph("%s/nnfirm_qonnx_bipolar.onnx" % M, "nnfirm_qonnx_bipolar", nodes, 8, 4, inits)
    x = rng.integers(-4, 5, (200, 8)) / 2.0
    y = run(m, x, False)
    assert np.all(y == np.round(y))
    zeros = int((run(with_output(m, "g"), x, False) == 0).sum())
    bn = run(with_output(m, "n2"), x, False)
    write_exact("%s/nnfirm_qonnx_bipolar.inputs.csv" % R, [[Fraction(float(v)) for v in r] for r in x])
    write_exact("%s/nnfirm_qonnx_bipolar.fixed.csv" % R, [[Fraction(int(v)) for v in r] for r in y])
    print("nnfirm_qonnx_bipolar: %d rows, %d Gemm sums exactly 0, %d normalized values exactly 0"
          % (len(x), zeros, int((bn == 0).sum())))


def scaled():
    rng = np.random.default_rng(77)
    W1 = rng.integers(-4, 5, (6, 3)) / 4.0
    W2 = rng.integers(-4, 5, (3, 4)) / 4.0
    W3 = rng.integers(-4, 5, (4, 2)) / 4.0
    inits = {"W1": W1, "W2": W2, "W3": W3, "s1": np.array([2.0, 0.5, 4.0]), "s2": np.array(0.25)}
    nodes = [
        helper.make_node("MatMul", ["x", "W1"], ["h1"], name="MatMul_1"),
        helper.make_node("BipolarQuant", ["h1", "s1"], ["b1"], name="BipolarQuant_1", domain=QD),
        helper.make_node("MatMul", ["b1", "W2"], ["h2"], name="MatMul_2"),
        helper.make_node("BipolarQuant", ["h2", "s2"], ["b2"], name="BipolarQuant_2", domain=QD),
        helper.make_node("MatMul", ["b2", "W3"], ["y"], name="MatMul_3"),
    ]
    m = save_graph("%s/nnfirm_qonnx_bipolar_scaled.onnx" % M, "nnfirm_qonnx_bipolar_scaled", nodes, 6, 2, inits)
    x = rng.integers(-4, 5, (100, 6)) / 2.0
    y = run(m, x, False)
    assert np.all(y * 256 == np.round(y * 256))
    write_exact("%s/nnfirm_qonnx_bipolar_scaled.inputs.csv" % R, [[Fraction(float(v)) for v in r] for r in x])
    write_exact("%s/nnfirm_qonnx_bipolar_scaled.fixed.csv" % R, [[Fraction(float(v)) for v in r] for r in y])
    zeros = int((run(with_output(m, "h1"), x, False) == 0).sum())
    print("nnfirm_qonnx_bipolar_scaled: %d rows, %d first sums exactly 0" % (len(x), zeros))


def hostile():
    inits = {"W": np.ones((4, 3)), "s": np.array(3.0)}
    save_graph("tests/data/hostile/onnx/qonnx_bipolar_scale3.onnx", "bad",
               [helper.make_node("MatMul", ["x", "W"], ["h"], name="MatMul_0"),
                helper.make_node("BipolarQuant", ["h", "s"], ["y"], name="BipolarQuant_act", domain=QD)], 4, 3, inits)


if __name__ == "__main__":
    tfc()
    tfc_2w2a()
    small()
    scaled()
    hostile()

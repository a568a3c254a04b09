#!/usr/bin/python3
"""Independent reference outputs for the QONNX models, and hostile QONNX graphs.

Written for nnfirm's test data, independently of its C code. It reads each
vendored QONNX model (tests/data/models/onnx/qonnx_*.onnx) with python-onnx
and evaluates its graph node by node, as the QONNX operators are specified
(GitHub fastmachinelearning/qonnx, docs/qonnx-custom-ops):

  Quant(x, s, z, b)   = (clip(r(x / s + z), lo, hi) - z) * s, lo / hi the
                        b-bit integer range (signed: -2^(b-1), +1 when narrow,
                        .. 2^(b-1) - 1; unsigned: 0 .. 2^b - 1, -1 when narrow);
                        r = ROUND is half to even;
  BipolarQuant(x, s)  = s where x >= 0, else -s;
  MatMul, Add, Relu, Softmax (axis 1) as ONNX defines them.

Two evaluations:
  - float: numpy float64 on the rows of tests/data/refs/inputs16.csv (the
    weights as the file stores them, float32, widened); the model's outputs.
  - exact: Python fractions on the same rows first rounded down to the grid of
    ap_fixed<16,6> (2^-10; every row lies within its range, checked), the
    values nnfirm's `predict --config default` feeds the first layer; the
    pre-softmax logits (the input of the graph's Softmax), every rounding
    decided on exact rationals. They are short binary fractions, printed as
    exact decimals. The script prints how many roundings fell exactly
    half-way (where half-to-even differs from other modes).

Hostile graphs (tests/data/hostile/onnx/): a 4-input graph whose activation
Quant has the scale 0.3 (not a power of two), one whose weight Quant has the
scale 0.1, and one whose Quant has the zero point 1; nnfirm must refuse each.

Needs Debian's python3-onnx and python3-numpy. Run from the repository root:
    /usr/bin/python3 tests/data/refs/gen/qonnx_refs.py
It rewrites tests/data/refs/qonnx_*.csv and tests/data/hostile/onnx/qonnx_*.onnx.
"""
import math
from fractions import Fraction

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

from refcsv import write_exact

R = "tests/data/refs"
M = "tests/data/models/onnx"
H = "tests/data/hostile/onnx"
MODELS = ["qonnx_jettagging"]
FLOAT_ONLY = ["qonnx_tfc_2w2a"]  # (see main: the float outputs only)


def quant_int_range(signed, narrow, bits):
    if signed:
        return -(2 ** (bits - 1)) + (1 if narrow else 0), 2 ** (bits - 1) - 1
    return 0, 2 ** bits - 1 - (1 if narrow else 0)


def attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def mode_of(node):
    m = attrs(node).get("rounding_mode", b"ROUND")
    return (m.decode() if isinstance(m, bytes) else m).upper()


def np_round(v, mode):
    """QONNX's rounding modes (docs/qonnx-custom-ops/quant_op.md's table)."""
    if mode in ("ROUND", "HALF_EVEN"):
        return np.round(v)  # half to even
    if mode == "FLOOR":
        return np.floor(v)
    if mode == "CEIL":
        return np.ceil(v)
    if mode == "UP":  # away from zero
        return np.where(v < 0, np.floor(v), np.ceil(v))
    if mode in ("DOWN", "ROUND_TO_ZERO"):
        return np.trunc(v)
    if mode == "HALF_UP":  # halves away from zero
        return np.sign(v) * np.floor(np.abs(v) + 0.5)
    if mode == "HALF_DOWN":  # halves toward zero
        return np.sign(v) * np.ceil(np.abs(v) - 0.5)
    raise SystemExit("rounding mode %s not in this reference" % mode)


TIES = [0]


def frac_round(q, mode):
    """A Fraction rounded to a whole number (as a Fraction)."""
    fl = math.floor(q)
    half = q - fl == Fraction(1, 2)
    TIES[0] += half
    if mode == "FLOOR":
        return Fraction(fl)
    if mode == "CEIL":
        return Fraction(math.ceil(q))
    if mode == "UP":
        return Fraction(fl if q < 0 else math.ceil(q))
    if mode in ("DOWN", "ROUND_TO_ZERO"):
        return Fraction(math.ceil(q) if q < 0 else fl)
    if mode in ("ROUND", "HALF_EVEN"):
        return Fraction(fl + 1 if q - fl > Fraction(1, 2) or (half and fl % 2 == 1) else fl)
    if mode == "HALF_UP":
        return Fraction(fl + 1 if q - fl > Fraction(1, 2) or (half and q > 0) else fl)
    if mode == "HALF_DOWN":
        return Fraction(fl + 1 if q - fl > Fraction(1, 2) or (half and q < 0) else fl)
    raise SystemExit("rounding mode %s not in this reference" % mode)


def run(model, x, exact):
    """Evaluates the graph on the rows x: numpy float64, or exact Fractions
    (object arrays). exact: stops at a Softmax and returns its input."""
    g = model.graph
    if exact:
        num = lambda v: np.vectorize(lambda e: Fraction(float(e)), otypes=[object])(np.asarray(v, dtype=np.float64))
        rnd = lambda v, mode: np.vectorize(lambda e: frac_round(e, mode), otypes=[object])(v)
        even = lambda v: rnd(v, "ROUND")
    else:
        num = lambda v: np.asarray(v, dtype=np.float64)
        rnd = np_round
        even = np.round
    env = {i.name: num(numpy_helper.to_array(i)) for i in g.initializer}
    data_in = [i.name for i in g.input if i.name not in env][0]
    env[data_in] = num(x).reshape([len(x)] + [d.dim_value for d in
                                   [i for i in g.input if i.name == data_in][0].type.tensor_type.shape.dim[1:]])
    one = Fraction(1) if exact else 1.0

    def clip(y, lo, hi):
        y = np.where(y > hi, hi * one, y)
        return np.where(y < lo, lo * one, y)

    for n in g.node:
        a = [env[i] if i else None for i in n.input]
        at = attrs(n)
        op = n.op_type
        if op == "Quant":
            s, z, b = a[1], a[2], int(a[3])
            signed, narrow = at.get("signed", 1), at.get("narrow", 0)
            y = a[0] / s + z
            if b == 1 and signed:
                y = np.where(y >= 0, one, -one)
            else:
                y = rnd(clip(y, *quant_int_range(signed, narrow, b)), mode_of(n))
            out = (y - z) * s
        elif op == "BipolarQuant":
            out = np.where(a[0] >= 0, one, -one) * a[1]
        elif op == "Trunc":  # inputs x, scale, zeropt, in_bitwidth, out_scale, out_zeropt, out_bitwidth
            s, z, so, bo = a[1], a[2], a[4], int(a[6])
            t = 2 ** round(math.log2(float(so / s)))
            y = clip(even(a[0] / s + z) / t, *quant_int_range(at.get("signed", 1), at.get("narrow", 0), bo))
            m = at.get("rounding_mode", b"FLOOR")
            out = (rnd(y, (m.decode() if isinstance(m, bytes) else m).upper()) - z / t) * so
        elif op == "Transpose":
            out = np.transpose(a[0], at.get("perm"))
        elif op == "MatMul":
            out = a[0].dot(a[1])
        elif op == "Gemm":
            bm = a[1].T if at.get("transB", 0) else a[1]
            al, be = at.get("alpha", 1.0), at.get("beta", 1.0)
            out = a[0].dot(bm) * (Fraction(al) if exact else al)
            if len(a) > 2 and a[2] is not None:
                out = out + a[2] * (Fraction(be) if exact else be)
        elif op == "Add":
            out = a[0] + a[1]
        elif op == "Sub":
            out = a[0] - a[1]
        elif op == "Mul":
            out = a[0] * a[1]
        elif op == "Div":
            out = a[0] / a[1]
        elif op == "Pow":
            out = a[0] ** a[1]
        elif op == "Shape":
            out = np.array(a[0].shape, dtype=np.int64)
        elif op == "Gather":
            out = np.take(a[0], a[1].astype(np.int64), axis=at.get("axis", 0))
        elif op == "Unsqueeze":
            out = np.expand_dims(a[0], tuple(at["axes"]))
        elif op == "Concat":
            out = np.concatenate(a, axis=at["axis"])
        elif op == "Reshape":
            out = a[0].reshape([int(v) for v in a[1]])
        elif op == "BatchNormalization":  # inference: (x - mean) / sqrt(var + eps) * scale + bias, channel axis 1
            x, sc, bi, mu, var = a
            out = (x - mu) / np.sqrt(var + np.float64(np.float32(at.get("epsilon", 1e-5)))) * sc + bi
        elif op == "Relu":
            out = np.where(a[0] > 0, a[0], 0 * one)
        elif op == "Softmax":
            if exact:
                return a[0]
            e = np.exp(a[0] - a[0].max(axis=1, keepdims=True))
            out = e / e.sum(axis=1, keepdims=True)
        else:
            raise SystemExit("operator %s not in this reference" % op)
        env[n.output[0]] = out
    return env[g.output[0].name]


def hostile():
    def graph(name, wscale, ascale, azp):
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
        y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])
        w = np.arange(12, dtype=np.float32).reshape(4, 3) / 16 - 0.25
        init = [numpy_helper.from_array(w, "w"),
                numpy_helper.from_array(np.array(wscale, np.float32), "ws"),
                numpy_helper.from_array(np.array(ascale, np.float32), "as"),
                numpy_helper.from_array(np.array(0, np.float32), "z0"),
                numpy_helper.from_array(np.array(azp, np.float32), "az"),
                numpy_helper.from_array(np.array(6, np.float32), "b6")]
        nodes = [helper.make_node("Quant", ["w", "ws", "z0", "b6"], ["wq"], name="Quant_w", domain="qonnx.custom_op.general",
                                  signed=1, narrow=0, rounding_mode="ROUND"),
                 helper.make_node("MatMul", ["x", "wq"], ["h"], name="MatMul_0"),
                 helper.make_node("Quant", ["h", "as", "az", "b6"], ["y"], name="Quant_act", domain="qonnx.custom_op.general",
                                  signed=1, narrow=0, rounding_mode="ROUND")]
        g = helper.make_graph(nodes, name, [x], [y], init)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 11), helper.make_opsetid("qonnx.custom_op.general", 1)],
                              producer_name="nnfirm tests/data/refs/gen/qonnx_refs.py")
        m.ir_version = 7
        onnx.save(m, "%s/%s.onnx" % (H, name))
    graph("qonnx_act_scale_not_pow2", 0.125, 0.3, 0.0)
    graph("qonnx_weight_scale_not_pow2", 0.1, 0.25, 0.0)
    graph("qonnx_zero_point", 0.125, 0.25, 1.0)
    # an elementwise step nnfirm does not take: a constant minus the activation
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    g = helper.make_graph([helper.make_node("Sub", ["one", "x"], ["y"], name="Sub_0")], "qonnx_const_minus_act", [x], [y],
                          [numpy_helper.from_array(np.array(1, np.float32), "one")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)], producer_name="nnfirm tests/data/refs/gen/qonnx_refs.py")
    m.ir_version = 7
    onnx.save(m, H + "/qonnx_const_minus_act.onnx")


def modes_model():
    """A small graph written for these tests (seeded random weights) that
    exercises what the jet tagger does not: rounding modes, narrow ranges,
    per-channel and per-feature scales, BipolarQuant, Trunc, Gemm, a weight
    Quant before a Transpose, a ReLU before a signed Quant."""
    rng = np.random.default_rng(15)
    f32 = lambda v: np.asarray(v, dtype=np.float32)
    init = {
        "s_in": f32(2.0 ** -4), "z": f32(0), "b8": f32(8),
        "w1": f32(rng.normal(0, 0.6, (6, 8))), "s_w1": f32(2.0 ** -rng.integers(2, 5, (6, 1))), "b4": f32(4),
        "bias1": f32(rng.normal(0, 0.3, 6)), "s_b1": f32(2.0 ** -3),
        "s_h1": f32(2.0 ** -3), "b5": f32(5),
        "w2": f32(rng.uniform(-0.3, 2.0, (6, 4))), "s_w2": f32(2.0 ** -2), "b3": f32(3),
        "bias2": f32(rng.normal(0, 1, 4)), "s_b2": f32(2.0 ** -4), "b6": f32(6),
        "s_t": f32(2.0 ** -4), "b16": f32(16), "s_to": f32(2.0 ** -2), "b7": f32(7),
        "s_out": f32(2.0 ** -np.array([[2, 3, 4, 1]])),
    }
    Q = lambda i, o, name, **kw: helper.make_node("Quant", i, [o], name=name, domain="qonnx.custom_op.general", **kw)
    nodes = [
        Q(["x", "s_in", "z", "b8"], "xq", "Quant_in", signed=1, narrow=1, rounding_mode="HALF_UP"),
        Q(["w1", "s_w1", "z", "b4"], "w1q", "Quant_w1", signed=1, narrow=0, rounding_mode="FLOOR"),
        helper.make_node("Transpose", ["w1q"], ["w1t"], name="Transpose_w1", perm=[1, 0]),
        helper.make_node("MatMul", ["xq", "w1t"], ["h1"], name="MatMul_1"),
        helper.make_node("BipolarQuant", ["bias1", "s_b1"], ["bias1q"], name="BipolarQuant_b1", domain="qonnx.custom_op.general"),
        helper.make_node("Add", ["h1", "bias1q"], ["h1b"], name="Add_1"),
        helper.make_node("Relu", ["h1b"], ["h1r"], name="Relu_1"),
        Q(["h1r", "s_h1", "z", "b5"], "h1q", "Quant_h1", signed=1, narrow=0, rounding_mode="ROUND"),
        Q(["w2", "s_w2", "z", "b3"], "w2q", "Quant_w2", signed=0, narrow=0, rounding_mode="UP"),
        Q(["bias2", "s_b2", "z", "b6"], "bias2q", "Quant_b2", signed=1, narrow=0, rounding_mode="CEIL"),
        helper.make_node("Gemm", ["h1q", "w2q", "bias2q"], ["h2"], name="Gemm_2"),
        helper.make_node("Trunc", ["h2", "s_t", "z", "b16", "s_to", "z", "b7"], ["h2t"], name="Trunc_2",
                         domain="qonnx.custom_op.general", signed=1, narrow=0, rounding_mode="FLOOR"),
        Q(["h2t", "s_out", "z", "b8"], "y", "Quant_out", signed=1, narrow=1, rounding_mode="DOWN"),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    g = helper.make_graph(nodes, "nnfirm_qonnx_modes", [x], [y], [numpy_helper.from_array(v, k) for k, v in init.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 11), helper.make_opsetid("qonnx.custom_op.general", 1)],
                          producer_name="nnfirm tests/data/refs/gen/qonnx_refs.py")
    m.ir_version = 7
    onnx.save(m, M + "/nnfirm_qonnx_modes.onnx")
    rows = rng.integers(-8 * 256, 8 * 256, (200, 8)) / 256.0  # multiples of 2^-8 in [-8, 8)
    return m, rows


def main():
    rows = np.loadtxt(R + "/inputs16.csv", delimiter=",")
    for name in MODELS:
        model = onnx.load("%s/%s.onnx" % (M, name))
        fl = run(model, rows.astype(np.float32).astype(np.float64), False)
        np.savetxt("%s/%s.float.csv" % (R, name), fl, delimiter=",", fmt="%.17g")
        grid = np.floor(rows * 1024) / 1024
        assert np.all(grid >= -32) and np.all(grid < 32), "a row outside ap_fixed<16,6>"
        write_exact("%s/%s.inputs.csv" % (R, name), [[Fraction(float(v)) for v in r] for r in grid])
        TIES[0] = 0
        ex = run(model, grid, True)
        write_exact("%s/%s.fixed.csv" % (R, name), ex)
        print("%s: %d rows, %d roundings exactly half-way" % (name, len(ex), TIES[0]))
    # The MNIST TFC model (Brevitas): float outputs on seeded rows of 784 values in [0, 1]
    # (multiples of 2^-8; not MNIST images, which the repository does not hold).
    rng = np.random.default_rng(28)
    for name in FLOAT_ONLY:
        model = onnx.load("%s/%s.onnx" % (M, name))
        x = rng.integers(0, 257, (50, 784)) / 256.0
        write_exact("%s/%s.inputs.csv" % (R, name), [[Fraction(float(v)) for v in r] for r in x])
        np.savetxt("%s/%s.float.csv" % (R, name), run(model, x, False).reshape(len(x), -1), delimiter=",", fmt="%.17g")
    model, rows = modes_model()
    write_exact(R + "/nnfirm_qonnx_modes.inputs.csv", [[Fraction(float(v)) for v in r] for r in rows])
    fl = run(model, rows, False)
    TIES[0] = 0
    ex = run(model, rows, True)
    # every value is a short binary fraction: float64 must give the exact values
    assert all(Fraction(float(a)) == b for ra, rb in zip(fl, ex) for a, b in zip(ra, rb)), "float64 != exact"
    write_exact(R + "/nnfirm_qonnx_modes.fixed.csv", ex)
    print("nnfirm_qonnx_modes: %d rows, %d roundings exactly half-way, %d distinct outputs" %
          (len(ex), TIES[0], len({v for r in ex for v in r})))
    hostile()


if __name__ == "__main__":
    main()

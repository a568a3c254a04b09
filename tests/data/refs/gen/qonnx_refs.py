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

R = "tests/data/refs"
M = "tests/data/models/onnx"
H = "tests/data/hostile/onnx"
MODELS = ["qonnx_jettagging"]


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
    if mode == "ROUND":
        return np.round(v)  # half to even
    if mode == "FLOOR":
        return np.floor(v)
    if mode == "CEIL":
        return np.ceil(v)
    raise SystemExit("rounding mode %s not in this reference" % mode)


TIES = [0]


def frac_round(q, mode):
    """A Fraction rounded to a whole number (as a Fraction)."""
    fl = math.floor(q)
    TIES[0] += q - fl == Fraction(1, 2)
    if mode == "FLOOR":
        return Fraction(fl)
    if mode == "CEIL":
        return Fraction(math.ceil(q))
    if mode == "ROUND":
        d = q - fl
        if d > Fraction(1, 2) or (d == Fraction(1, 2) and fl % 2 == 1):
            return Fraction(fl + 1)
        return Fraction(fl)
    raise SystemExit("rounding mode %s not in this reference" % mode)


def run_float(model, x):
    g = model.graph
    env = {i.name: numpy_helper.to_array(i).astype(np.float64) for i in g.initializer}
    data_in = [i.name for i in g.input if i.name not in env][0]
    env[data_in] = x
    for n in g.node:
        a = [env[i] for i in n.input]
        op = n.op_type
        if op == "Quant":
            at = attrs(n)
            s, z, b = a[1], a[2], int(a[3])
            lo, hi = quant_int_range(at.get("signed", 1), at.get("narrow", 0), b)
            y = a[0] / s + z
            if b == 1 and at.get("signed", 1):
                y = np.where(y >= 0, 1.0, -1.0)
            else:
                y = np_round(np.clip(y, lo, hi), mode_of(n))
            out = (y - z) * s
        elif op == "BipolarQuant":
            out = np.where(a[0] >= 0, 1.0, -1.0) * a[1]
        elif op == "MatMul":
            out = a[0] @ a[1]
        elif op == "Add":
            out = a[0] + a[1]
        elif op == "Relu":
            out = np.maximum(a[0], 0)
        elif op == "Softmax":
            e = np.exp(a[0] - a[0].max(axis=1, keepdims=True))
            out = e / e.sum(axis=1, keepdims=True)
        else:
            raise SystemExit("operator %s not in this reference" % op)
        env[n.output[0]] = out
    return env[g.output[0].name]


def run_exact(model, rows):
    """Fractions, row by row; returns the input of the Softmax."""
    g = model.graph
    consts = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    data_in = [i.name for i in g.input if i.name not in consts][0]
    out = []
    for row in rows:
        env = {k: np.vectorize(Fraction, otypes=[object])(v.astype(np.float64)) if v.ndim else Fraction(float(v))
               for k, v in consts.items()}
        env[data_in] = np.array([[Fraction(v) for v in row]], dtype=object)
        for n in g.node:
            a = [env[i] for i in n.input]
            op = n.op_type
            if op == "Softmax":
                out.append(list(a[0][0]))
                break
            if op == "Quant":
                at = attrs(n)
                s, z, b = a[1], a[2], int(a[3])
                lo, hi = quant_int_range(at.get("signed", 1), at.get("narrow", 0), b)
                mode = mode_of(n)

                def q(v):
                    y = v / s + z
                    if b == 1 and at.get("signed", 1):
                        y = Fraction(1) if y >= 0 else Fraction(-1)
                    else:
                        y = frac_round(min(max(y, Fraction(lo)), Fraction(hi)), mode)
                    return (y - z) * s

                r = np.vectorize(q, otypes=[object])(a[0]) if isinstance(a[0], np.ndarray) else q(a[0])
            elif op == "MatMul":
                r = a[0].dot(a[1])
            elif op == "Add":
                r = a[0] + a[1]
            elif op == "Relu":
                r = np.vectorize(lambda v: v if v > 0 else Fraction(0), otypes=[object])(a[0])
            else:
                raise SystemExit("operator %s not in the exact reference" % op)
            env[n.output[0]] = r
    return out


def exact_decimal(q):
    """A Fraction with a power-of-two denominator as an exact decimal."""
    d = q.denominator
    k = d.bit_length() - 1
    assert d == 1 << k, q
    if k == 0:
        return str(q.numerator)
    num = q.numerator * 5 ** k
    sign = "-" if num < 0 else ""
    s = str(abs(num)).rjust(k + 1, "0")
    s = s[:-k] + "." + s[-k:]
    return sign + s.rstrip("0").rstrip(".")


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


def main():
    rows = np.loadtxt(R + "/inputs16.csv", delimiter=",")
    for name in MODELS:
        model = onnx.load("%s/%s.onnx" % (M, name))
        fl = run_float(model, rows.astype(np.float32).astype(np.float64))
        np.savetxt("%s/%s.float.csv" % (R, name), fl, delimiter=",", fmt="%.17g")
        grid = np.floor(rows * 1024) / 1024
        assert np.all(grid >= -32) and np.all(grid < 32), "a row outside ap_fixed<16,6>"
        with open("%s/%s.inputs.csv" % (R, name), "w") as f:
            for r in grid:
                f.write(",".join(exact_decimal(Fraction(float(v))) for v in r) + "\n")
        ex = run_exact(model, grid.tolist())
        with open("%s/%s.fixed.csv" % (R, name), "w") as f:
            for r in ex:
                f.write(",".join(exact_decimal(v) for v in r) + "\n")
        print("%s: %d rows, %d activation roundings exactly half-way (ROUND: to even)" % (name, len(ex), TIES[0]))
    hostile()


if __name__ == "__main__":
    main()

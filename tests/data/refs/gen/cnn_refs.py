#!/usr/bin/python3
"""Independent reference outputs for the convolutional example models.

Written for nnfirm's test data, independently of its C code: a numpy float64
forward pass of each Keras model (Keras' layer semantics: channels-last
Conv1D/Conv2D with 'same'/'valid' padding, BatchNormalization, pooling,
QKeras quantized_bits / quantized_relu), and an exact integer model of
ap_fixed<16,6> (AP_TRN, AP_WRAP) with hls4ml's layer semantics (per-product
cast to the accumulator, standalone BatchNormalization y = x*scale + shift).

Needs Debian's python3-numpy and python3-h5py. Run from the repository root:
    /usr/bin/python3 tests/data/refs/gen/cnn_refs.py
It rewrites tests/data/refs/cnn_*.csv (inputs, float outputs, exact logits).
"""
import json
import os

import h5py
import numpy as np

K = "tests/data/models/keras"
R = "tests/data/refs"


def layers_of(cfg):
    c = cfg["config"]
    return c["layers"] if isinstance(c, dict) else c


def weights(h5, name):
    g = h5["model_weights"] if "model_weights" in h5 else h5
    g = g[name]
    out = {}
    for wn in g.attrs["weight_names"]:
        wn = wn.decode() if isinstance(wn, bytes) else wn
        role = wn.split("/")[-1].split(":")[0]
        out[role] = np.array(g[wn], dtype=np.float64)
    return out


def tuple_n(v, n):
    return list(v) if isinstance(v, (list, tuple)) else [v] * n


def same_pad(n, k, s):
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


# ---- QKeras quantizers (forward values) ---------------------------------
def q_bits(x, bits, integer, keep_negative=True, symmetric=False):
    unsigned = bits - (1 if keep_negative else 0)
    m = 2.0 ** (unsigned - integer)
    lo = (-(2 ** unsigned) + (1 if symmetric else 0)) if keep_negative else 0
    hi = 2 ** unsigned - 1
    return np.clip(np.round(x * m), lo, hi) / m  # np.round: half to even, as tf.round


def q_relu(x, bits, integer):
    m = 2.0 ** (bits - integer)
    return np.clip(np.round(np.maximum(x, 0) * m), 0, 2 ** bits - 1) / m


def quantizer(spec):
    if spec is None:
        return lambda v: v
    cls, c = spec["class_name"], spec["config"]
    if cls == "quantized_bits":
        assert c.get("alpha") in (1, None, 1.0)
        return lambda v: q_bits(v, c["bits"], c["integer"], c.get("keep_negative", True), bool(c.get("symmetric", 0)))
    if cls == "quantized_relu":
        return lambda v: q_relu(v, c["bits"], c["integer"])
    raise ValueError(cls)


# ---- Float forward (one sample, channels last) ----------------------------
def conv(x, w, b, strides, padding):
    # x (H, W, C), w (kh, kw, C, F)
    kh, kw, c, f = w.shape
    h, wd, _ = x.shape
    if padding == "same":
        pt, pb = same_pad(h, kh, strides[0])
        pl, pr = same_pad(wd, kw, strides[1])
    else:
        pt = pb = pl = pr = 0
    xp = np.zeros((h + pt + pb, wd + pl + pr, c))
    xp[pt:pt + h, pl:pl + wd, :] = x
    ho = (xp.shape[0] - kh) // strides[0] + 1
    wo = (xp.shape[1] - kw) // strides[1] + 1
    y = np.zeros((ho, wo, f))
    for i in range(ho):
        for j in range(wo):
            patch = xp[i * strides[0]:i * strides[0] + kh, j * strides[1]:j * strides[1] + kw, :]
            y[i, j, :] = np.tensordot(patch, w, axes=([0, 1, 2], [0, 1, 2])) + b
    return y


def act(x, name):
    if name in (None, "linear"):
        return x
    if name == "relu":
        return np.maximum(x, 0)
    if name == "softmax":
        e = np.exp(x - x.max())
        return e / e.sum()
    raise ValueError(name)


def forward_float(cfg, h5, x):
    for layer in layers_of(cfg):
        cls, c = layer["class_name"], layer["config"]
        if cls in ("InputLayer", "Dropout"):
            continue
        if cls == "BatchNormalization":
            w = weights(h5, c["name"])
            x = w["gamma"] * (x - w["moving_mean"]) / np.sqrt(w["moving_variance"] + c["epsilon"]) + w["beta"]
        elif cls in ("Conv1D", "Conv2D", "QConv2D"):
            w = weights(h5, c["name"])
            kq, bq = quantizer(c.get("kernel_quantizer")), quantizer(c.get("bias_quantizer"))
            k, b = kq(w["kernel"]), bq(w.get("bias", np.zeros(c["filters"])))
            if cls == "Conv1D":
                y = conv(x[None, :, :], k[None, :, :, :], b, [1] + tuple_n(c["strides"], 1), c["padding"])[0]
            else:
                y = conv(x, k, b, tuple_n(c["strides"], 2), c["padding"])
            x = act(y, c.get("activation"))
        elif cls == "MaxPooling2D":
            ph, pw = tuple_n(c["pool_size"], 2)
            sh, sw = tuple_n(c["strides"] or c["pool_size"], 2)
            assert c["padding"] == "valid"
            ho, wo = (x.shape[0] - ph) // sh + 1, (x.shape[1] - pw) // sw + 1
            x = np.array([[x[i * sh:i * sh + ph, j * sw:j * sw + pw, :].max(axis=(0, 1)) for j in range(wo)]
                          for i in range(ho)])
        elif cls == "QActivation":
            x = quantizer(c["activation"])(x)
        elif cls == "Activation":
            x = act(x, c["activation"])
        elif cls == "Flatten":
            x = x.reshape(-1)
        elif cls in ("Dense", "QDense"):
            w = weights(h5, c["name"])
            kq, bq = quantizer(c.get("kernel_quantizer")), quantizer(c.get("bias_quantizer"))
            x = act(x @ kq(w["kernel"]) + bq(w["bias"]), c.get("activation"))
        else:
            raise ValueError(cls)
    return x


# ---- Exact ap_fixed<16,6> (AP_TRN, AP_WRAP) with hls4ml's semantics --------
W, F = 16, 10  # ap_fixed<16,6>: 16 bits, 10 fraction bits


def wrap(code):
    code = int(code) & ((1 << W) - 1)
    return code - (1 << W) if code >= 1 << (W - 1) else code


def cast(code, frac):
    """A code with `frac` fraction bits into ap_fixed<16,6>: floor, then wrap."""
    code = int(code)
    code = code >> (frac - F) if frac >= F else code << (F - frac)
    return wrap(code)


def from_real(v):
    # floor(v * 2^10) exactly (v is a float64; the product by a power of two is exact)
    return wrap(int(np.floor(v * 2.0 ** F)))


def dense_fixed(x, wc, bc):
    # x: codes [n_in]; wc [n_in][n_out]; acc = bias; acc = wrap(acc + cast(x*w)); y = acc
    y = []
    for j in range(wc.shape[1]):
        acc = bc[j]
        for i in range(wc.shape[0]):
            acc = wrap(acc + cast(x[i] * int(wc[i, j]), 2 * F))
        y.append(acc)
    return y


def forward_fixed(cfg, h5, x, stop):
    x = np.vectorize(from_real)(x).astype(object)
    for layer in layers_of(cfg):
        cls, c = layer["class_name"], layer["config"]
        if cls in ("InputLayer", "Dropout"):
            continue
        if cls == "BatchNormalization":
            w = weights(h5, c["name"])
            scale = w["gamma"] / np.sqrt(w["moving_variance"] + c["epsilon"])
            shift = w["beta"] - w["moving_mean"] * scale
            sc = [from_real(v) for v in scale]
            sh = [from_real(v) for v in shift]
            flat = x.reshape(-1)
            ch = x.shape[-1]
            # exact x*scale (20 fraction bits) + shift (10), then into <16,6>
            out = [cast(int(flat[k]) * sc[k % ch] + (sh[k % ch] << F), 2 * F) for k in range(flat.size)]
            x = np.array(out, dtype=object).reshape(x.shape)
        elif cls in ("Conv1D", "Conv2D"):
            w = weights(h5, c["name"])
            kern = w["kernel"] if cls == "Conv2D" else w["kernel"][None]
            xi = x if cls == "Conv2D" else x[None]
            strides = tuple_n(c["strides"], 2) if cls == "Conv2D" else [1] + tuple_n(c["strides"], 1)
            kh, kw, cin, nf = kern.shape
            h, wd, _ = xi.shape
            pt, pb = same_pad(h, kh, strides[0]) if c["padding"] == "same" else (0, 0)
            pl, pr = same_pad(wd, kw, strides[1]) if c["padding"] == "same" else (0, 0)
            xp = np.zeros((h + pt + pb, wd + pl + pr, cin), dtype=object)
            xp[:, :, :] = 0
            xp[pt:pt + h, pl:pl + wd, :] = xi
            wc = np.vectorize(from_real)(kern.reshape(-1, nf)).astype(object)
            bc = [from_real(v) for v in w["bias"]]
            ho = (xp.shape[0] - kh) // strides[0] + 1
            wo = (xp.shape[1] - kw) // strides[1] + 1
            y = np.zeros((ho, wo, nf), dtype=object)
            for i in range(ho):
                for j in range(wo):
                    patch = xp[i * strides[0]:i * strides[0] + kh, j * strides[1]:j * strides[1] + kw, :].reshape(-1)
                    y[i, j, :] = dense_fixed(patch, wc, bc)
            if c.get("activation") == "relu":
                y = np.vectorize(lambda v: v if v > 0 else 0)(y).astype(object)
            x = y if cls == "Conv2D" else y[0]
        elif cls == "Flatten":
            x = x.reshape(-1)
        elif cls == "Dense":
            w = weights(h5, c["name"])
            wc = np.vectorize(from_real)(w["kernel"]).astype(object)
            bc = [from_real(v) for v in w["bias"]]
            x = np.array(dense_fixed(list(x), wc, bc), dtype=object)
            if c["name"] == stop:
                return x
            if c.get("activation") == "relu":
                x = np.array([v if v > 0 else 0 for v in x], dtype=object)
        else:
            raise ValueError(cls)
    raise ValueError("no layer " + stop)


def fmt(code, frac=F):
    if code == 0:
        return "0"
    sign = "-" if code < 0 else ""
    a = abs(code)
    ip, r = a >> frac, a & ((1 << frac) - 1)
    if r == 0:
        return sign + str(ip)
    digits = str(r * 5 ** frac).rjust(frac, "0").rstrip("0")
    return "%s%d.%s" % (sign, ip, digits)


def input_shape(cfg):
    for layer in layers_of(cfg):
        c = layer["config"]
        for k in ("batch_input_shape", "batch_shape"):
            if k in c:
                return tuple(c[k][1:])
    raise ValueError("no input shape")


MODELS = [  # name, rows, input distribution, last Dense (exact logits) or None
    ("jetTagger_Conv2D_Small", 20, "normal", "output_softmax"),
    ("jetTagger_Conv2D_Small_NoBatchNorm", 20, "abs", "output_softmax"),
    ("KERAS_conv1d_small", 30, "normal", "output_softmax"),
    ("KERAS_conv2d_model", 30, "uniform", "dense_1"),
    ("qkeras_mnist_cnn", 20, "uniform", None),
]


def main():
    rng = np.random.default_rng(20261201)
    for name, rows, dist, last in MODELS:
        cfg = json.load(open(os.path.join(K, name + ".json")))
        h5 = h5py.File(os.path.join(K, name + "_weights.h5"), "r")
        shape = input_shape(cfg)
        if dist == "normal":
            xs = rng.normal(0, 1, (rows,) + shape)
        elif dist == "abs":
            xs = np.abs(rng.normal(0, 1, (rows,) + shape))
        else:
            xs = rng.uniform(0, 1, (rows,) + shape)
        xs = xs.astype(np.float32).astype(np.float64)  # what a float32 CSV reader sees
        with open(os.path.join(R, "cnn_%s.inputs.csv" % name), "w") as f:
            for x in xs:
                f.write(",".join(repr(float(np.float32(v))) for v in x.reshape(-1)) + "\n")
        with open(os.path.join(R, "cnn_%s.float.csv" % name), "w") as f:
            for x in xs:
                f.write(",".join("%.17g" % v for v in forward_float(cfg, h5, x)) + "\n")
        if last:
            with open(os.path.join(R, "cnn_%s.fixed16_6.logits.csv" % name), "w") as f:
                for x in xs:
                    f.write(",".join(fmt(v) for v in forward_fixed(cfg, h5, x, last)) + "\n")
        print(name, shape, rows)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""A small Keras model using every two-sided activation hls4ml builds, and
its independent float reference.

Written for nnfirm's test data, independently of its C code. It writes
  tests/data/models/keras/nnfirm_lut_acts.json        (Keras 2 Sequential config)
  tests/data/models/keras/nnfirm_lut_acts_weights.h5  (Keras 2 weights layout)
  tests/data/refs/nnfirm_lut_acts.inputs.csv          (seeded rows, float32 values)
  tests/data/refs/nnfirm_lut_acts.float.csv           (numpy float64 forward pass)
The layers: Dense with activation 'elu' (Activation('elu'): alpha 1), a
PReLU layer (one alpha per element, shared_axes None), an ELU layer (alpha
0.7), Dense 'selu', LeakyReLU (alpha 0.1), Dense 'hard_sigmoid',
ThresholdedReLU (theta 0.3), then a linear Dense of 3 outputs. Keras'
definitions: elu(x) = x if x > 0 else alpha (e^x - 1); selu = lambda elu with
lambda 1.0507009873554804934193349852946 and alpha
1.6732632423543772848170429916717; prelu / leaky_relu x if x > 0 else alpha
x; thresholded_relu x if x > theta else 0; hard_sigmoid Keras 2's
clip(0.2 x + 0.5, 0, 1) (Keras 3 computes x / 6 + 0.5; hls4ml's firmware
uses 0.2 and 0.5, so does nnfirm).

Needs Debian's python3-numpy and python3-h5py. Run from the repository root:
    /usr/bin/python3 tests/data/refs/gen/lut_act_refs.py
"""
import json

import h5py
import numpy as np

K = "tests/data/models/keras"
R = "tests/data/refs"
NAME = "nnfirm_lut_acts"
N_IN, H, N_OUT, ROWS = 6, 8, 3, 100

rng = np.random.default_rng(20261202)


def dense(name, n_out, activation="linear", n_in=None):
    cfg = {"name": name, "units": n_out, "activation": activation, "use_bias": True}
    if n_in:
        cfg["batch_input_shape"] = [None, n_in]
    return {"class_name": "Dense", "config": cfg}


layers = [
    dense("d1_elu", H, "elu", N_IN),
    dense("d2", H),
    {"class_name": "PReLU", "config": {"name": "p2", "shared_axes": None}},
    dense("d3", H),
    {"class_name": "ELU", "config": {"name": "e3", "alpha": 0.7}},
    dense("d4_selu", H, "selu"),
    dense("d5", H),
    {"class_name": "LeakyReLU", "config": {"name": "l5", "alpha": 0.1}},
    dense("d6_hs", H, "hard_sigmoid"),
    dense("d7", H),
    {"class_name": "ThresholdedReLU", "config": {"name": "t7", "theta": 0.3}},
    dense("out", N_OUT),
]
model = {"class_name": "Sequential", "config": {"name": NAME, "layers": layers}, "backend": "tensorflow"}

# Weights: small enough that the activations see both sides at <16,6>.
params = {}
n = N_IN
for L in layers:
    c = L["config"]
    if L["class_name"] == "Dense":
        params[c["name"]] = {
            "kernel": rng.normal(0, 1.2 / np.sqrt(n), (n, c["units"])).astype(np.float32),
            "bias": rng.normal(0, 0.2, c["units"]).astype(np.float32),
        }
        n = c["units"]
    elif L["class_name"] == "PReLU":
        params[c["name"]] = {"alpha": rng.uniform(-0.4, 0.9, n).astype(np.float32)}

with open(f"{K}/{NAME}.json", "w") as f:
    json.dump(model, f, indent=1)
    f.write("\n")

with h5py.File(f"{K}/{NAME}_weights.h5", "w") as h5:
    names = [L["config"]["name"] for L in layers]
    h5.attrs["layer_names"] = np.array([s.encode() for s in names])
    h5.attrs["backend"] = b"tensorflow"
    h5.attrs["keras_version"] = b"2.4.0"
    for nm in names:
        g = h5.create_group(nm)
        roles = list(params.get(nm, {}).keys())
        g.attrs["weight_names"] = np.array([f"{nm}/{r}:0".encode() for r in roles])
        for r in roles:
            g.create_dataset(f"{nm}/{r}:0", data=params[nm][r])

LAMBDA = 1.0507009873554804934193349852946
ALPHA = 1.6732632423543772848170429916717


def act(name, x, L):
    c = L["config"]
    if name == "linear":
        return x
    if name == "elu":
        return np.where(x > 0, x, c.get("alpha", 1.0) * np.expm1(x))
    if name == "selu":
        return LAMBDA * np.where(x > 0, x, ALPHA * np.expm1(x))
    if name == "hard_sigmoid":
        return np.clip(0.2 * x + 0.5, 0.0, 1.0)
    raise ValueError(name)


x = rng.uniform(-3, 3, (ROWS, N_IN)).astype(np.float32)
np.savetxt(f"{R}/{NAME}.inputs.csv", x, delimiter=",", fmt="%.9g")
h = x.astype(np.float64)
for L in layers:
    c, cls = L["config"], L["class_name"]
    if cls == "Dense":
        p = params[c["name"]]
        h = act(c["activation"], h @ p["kernel"].astype(np.float64) + p["bias"].astype(np.float64), L)
    elif cls == "PReLU":
        h = np.where(h > 0, h, params[c["name"]]["alpha"].astype(np.float64) * h)
    elif cls == "ELU":
        h = np.where(h > 0, h, np.float64(np.float32(c["alpha"])) * np.expm1(h))
    elif cls == "LeakyReLU":
        h = np.where(h > 0, h, np.float64(np.float32(c["alpha"])) * h)
    elif cls == "ThresholdedReLU":
        h = np.where(h > np.float64(np.float32(c["theta"])), h, 0.0)
np.savetxt(f"{R}/{NAME}.float.csv", h, delimiter=",", fmt="%.9g")
print(f"wrote {NAME}: {ROWS} rows; output range {h.min():.3f} .. {h.max():.3f}")

"""Layer accessors: the model's and the design's layers, their types and
weights, read from Python and checked against the model files and against a
numpy recomputation of the fixed-point arithmetic."""
import json
import os

import h5py
import numpy as np
import pytest

import nnfirm


def h5_weights(path):
    """{layer name: {variable name: array}} of a Keras weights file, read with h5py."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                layer, var = name.split("/")[0], name.split("/")[-1].split(":")[0]
                out.setdefault(layer, {})[var] = obj[()]
        f.visititems(visit)
    return out


def test_model_layers_equal_the_weights_file(keras):
    """Every Dense and BatchNormalization layer's parameters, in Keras'
    layout and order, equal the .h5 file's arrays exactly."""
    model = nnfirm.load_model(os.path.join(keras, "KERAS_3layer_batch_norm.json"))
    ref = h5_weights(os.path.join(keras, "KERAS_3layer_batch_norm_weights.h5"))
    dense = [l for l in model.layers if l.class_name == "Dense"]
    bn = [l for l in model.layers if l.class_name == "BatchNormalization"]
    assert [l.name for l in dense] == ["fc1_relu", "fc2_relu", "fc3_relu", "output_softmax"]
    assert len(bn) == 4
    for l in dense:
        kernel, bias = l.get_weights()
        assert kernel.shape == (l.n_in, l.n_out) == (l.input_shape[0], l.output_shape[0])
        assert np.array_equal(kernel, ref[l.name]["kernel"]), l.name
        assert np.array_equal(bias, ref[l.name]["bias"]), l.name
        assert set(l.weights) == {"kernel", "bias"}  # not pruned: no mask
        assert l.trainable_params == kernel.size + bias.size
    for l in bn:
        got = l.get_weights()
        for arr, var in zip(got, ("gamma", "beta", "moving_mean", "moving_variance")):
            assert np.array_equal(arr, ref[l.name][var]), (l.name, var)
        assert l["non_trainable_params"] == 2 * l.n_out  # dict access works too
    for l in model.layers:
        if l.class_name == "Activation":
            assert l.get_weights() == [] and l.activation in ("relu", "softmax")
    assert model.get_layer("bn2") is model.layers[model.layer_names.index("bn2")]
    with pytest.raises(nnfirm.Error, match="no layer named 'fc9'.*fc1_relu"):
        model.get_layer("fc9")


def test_model_layers_compute_the_forward_pass(keras, rows50):
    """numpy on get_weights() reproduces the library's float forward pass
    layer by layer (the kernel's (n_in, n_out) orientation is the one used)."""
    model = nnfirm.load_model(os.path.join(keras, "KERAS_3layer.json"))
    h = rows50.astype(np.float32).astype(np.float64)  # the library reads rows as float32
    for l in model.layers:
        if l.class_name == "Dense":
            kernel, bias = l.get_weights()
            h = h @ kernel.astype(np.float64) + bias
        elif l.activation == "relu":
            h = np.maximum(h, 0)
        elif l.activation == "softmax":
            e = np.exp(h - h.max(1, keepdims=True))
            h = e / e.sum(1, keepdims=True)
        assert np.max(np.abs(h - model.predict(rows50, layer=l.name))) < 1e-9, l.name


def test_design_layers_types_and_weight_codes(keras, rows50):
    """The design's layers carry hls4ml's type names, and their weight codes
    are the model's weights quantized by weight_t (ap_fixed<16,6>: AP_TRN,
    steps of 2^-10); recomputing fc1 in integers from those codes gives the
    emulator's codes exactly."""
    model = nnfirm.load_model(os.path.join(keras, "KERAS_3layer.json"))
    design = nnfirm.convert(model)
    assert design.get_layers() == design.layers
    assert [l.name for l in design.layers] == design.layer_names
    fc1 = design.get_layer("fc1_relu")
    assert fc1.class_name == "Dense" and fc1.hardware and fc1.reuse_factor == 1
    assert (fc1.input_t, fc1.weight_t, fc1.bias_t, fc1.accum_t, fc1.result_t) == ("ap_fixed<16,6>",) * 5
    relu = design.get_layer("fc1_relu_relu")
    assert relu.weight_t is None and relu.accum_t is None and relu.get_weights() == {}
    assert design.layers[-1].name == "output_softmax_softmax" and not design.layers[-1].hardware

    codes = fc1.get_weights(codes=True)
    values = fc1.get_weights()
    kernel, bias = model.get_layer("fc1_relu").get_weights()
    assert codes["weight"].dtype == np.int64 and codes["weight"].shape == (16, 64)
    assert np.array_equal(codes["weight"], np.floor(kernel.astype(np.float64) * 2**10).astype(np.int64))
    assert np.array_equal(codes["bias"], np.floor(bias.astype(np.float64) * 2**10).astype(np.int64))
    assert np.array_equal(values["weight"], codes["weight"] / 2.0**10)
    assert fc1.weights.keys() == {"weight", "bias"}

    def wrap16(v):
        return ((v + 2**15) % 2**16) - 2**15

    x = wrap16(np.floor(rows50.astype(np.float32).astype(np.float64) * 2**10).astype(np.int64))
    prod = (x[:, :, None] * codes["weight"][None, :, :]) >> 10  # each product cast to accum_t (AP_TRN)
    acc = wrap16(prod.sum(axis=1) + codes["bias"])
    assert np.array_equal(acc, design.trace(rows50, codes=True)["fc1_relu"])

    # another precision: other types, other codes
    d8 = nnfirm.convert(model, {"Model": {"Precision": "ap_fixed<8,3>"}})
    assert d8.get_layer("fc1_relu").weight_t == "ap_fixed<8,3>"
    assert not np.array_equal(d8.get_layer("fc1_relu").get_weights(codes=True)["weight"], codes["weight"])


def test_design_folds_batchnorm_into_dense(keras):
    """A BatchNormalization after a Dense has no design layer; its scale is
    in the Dense's quantized weights (not the model's kernel any more)."""
    model = nnfirm.load_model(os.path.join(keras, "KERAS_3layer_batch_norm.json"))
    design = nnfirm.convert(model, {"Model": {"Precision": "ap_fixed<24,8>"}})
    assert "bn1" in model.layer_names and "bn1" not in design.layer_names
    kernel = model.get_layer("fc1_relu").get_weights()[0].astype(np.float64)
    g, b, mu, var = (a.astype(np.float64) for a in model.get_layer("bn1").get_weights())
    with open(os.path.join(keras, "KERAS_3layer_batch_norm.json")) as f:
        eps = [l["config"]["epsilon"] for l in json.load(f)["config"]["layers"] if l["config"]["name"] == "bn1"][0]
    assert model.get_layer("bn1").epsilon == pytest.approx(eps)
    folded = kernel * (g / np.sqrt(var + eps))
    got = design.get_layer("fc1_relu").get_weights()["weight"]
    assert np.max(np.abs(got - folded)) <= 2.0**-16  # ap_fixed<24,8>: steps of 2^-16
    assert np.max(np.abs(got - kernel)) > 1e-2


def test_qkeras_layers_show_their_quantizers(keras):
    model = nnfirm.load_model(os.path.join(keras, "qkeras_3layer.json"))
    fc1 = model.get_layer("fc1")
    assert fc1.kernel_quantizer.startswith("quantized_bits(6,0")
    assert model.get_layer("relu1").activation_quantizer.startswith("quantized_relu(6")
    design = nnfirm.convert(model, nnfirm.config_from_model(model))
    w = design.get_layer("fc1").get_weights()["weight"]
    # quantized_bits(6,0): multiples of 2^-5 in [-1, 1)
    assert np.array_equal(w * 32, np.round(w * 32)) and w.min() >= -1 and w.max() < 1
    assert design.get_layer("fc1").weight_t.startswith("ap_fixed<6,1")


def test_conv_layers_and_image_rows(keras):
    """A Conv2D's kernel is (kh, kw, channels, filters) as Keras stores it,
    and rows may be given as images [n, h, w, c]."""
    model = nnfirm.load_model(os.path.join(keras, "KERAS_conv2d_model.json"))
    ref = h5_weights(os.path.join(keras, "KERAS_conv2d_model_weights.h5"))
    conv = model.get_layer("conv2d_1")
    assert conv.class_name == "Conv2D"
    kernel, bias = conv.get_weights()
    assert kernel.shape == (3, 3, 1, 2)
    assert np.array_equal(kernel, ref["conv2d_1"]["kernel"]) and np.array_equal(bias, ref["conv2d_1"]["bias"])
    design = nnfirm.convert(model)
    assert design.get_layer("conv2d_1").get_weights(codes=True)["weight"].shape == (3, 3, 1, 2)
    X = np.random.default_rng(3).normal(size=(6,) + model.layers[0].input_shape)
    assert X.shape == (6, 8, 8, 1)
    assert np.array_equal(design.predict(X), design.predict(X.reshape(6, -1)))
    assert model.predict(X).shape == (6, 10)

"""The Python API against the CLI and the independent references."""
import json
import os
import subprocess

import numpy as np
import pytest

import nnfirm


def cli_predict(cli, model, rows_csv, layer, tmp_path, config="default"):
    out = tmp_path / f"cli_{layer}.csv"
    subprocess.run([cli, "predict", model, "--input", rows_csv, "--config", config, "--layer", layer, "-o", str(out)],
                   check=True)
    return np.loadtxt(out, delimiter=",", ndmin=2)


@pytest.fixture()
def rows_csv(testdata, tmp_path):
    """inputs16.csv's first 50 lines, as the CLI test gives them to predict."""
    path = tmp_path / "in50.csv"
    with open(os.path.join(testdata, "refs", "inputs16.csv")) as f:
        path.write_text("".join(f.readlines()[:50]))
    return str(path)


def test_logits_equal_cli_and_refs(keras, testdata, cli, rows_csv, tmp_path):
    """KERAS_3layer, ap_fixed<16,6> everywhere: predict's logits equal the
    CLI's `predict --layer output_softmax` and the independent references,
    value for value (both are exact binary fractions)."""
    model = nnfirm.load_model(os.path.join(keras, "KERAS_3layer.json"))
    X = np.loadtxt(rows_csv, delimiter=",")
    design = nnfirm.convert(model, nnfirm.config_from_model(model, granularity="name"))
    y = design.predict(X)
    want = cli_predict(cli, os.path.join(keras, "KERAS_3layer.json"), rows_csv, "output_softmax", tmp_path)
    ref = np.loadtxt(os.path.join(testdata, "refs", "KERAS_3layer.fixed16_6.logits.csv"), delimiter=",")
    assert y.shape == (50, 5)
    assert np.array_equal(y, want)
    assert np.array_equal(y, ref)
    # the default configuration (None) is the same design
    assert np.array_equal(nnfirm.convert(model).predict(X), ref)
    # a changed precision changes the logits: the comparison can fail
    cfg = nnfirm.config_from_model(model, granularity="model", default_precision="ap_fixed<10,4>")
    assert not np.array_equal(nnfirm.convert(model, cfg).predict(X), ref)


def test_batchnorm_model_equals_refs(keras, testdata, rows50):
    model = nnfirm.load_model(os.path.join(keras, "KERAS_3layer_batch_norm.json"))
    ref = np.loadtxt(os.path.join(testdata, "refs", "KERAS_3layer_batch_norm.fixed16_6.logits.csv"), delimiter=",")
    assert np.array_equal(nnfirm.convert(model).predict(rows50), ref)


def test_trace_every_layer(keras, cli, rows_csv, tmp_path):
    """trace gives every layer of the design, each equal to the CLI's
    `predict --layer NAME`; the last hardware layer's is predict's."""
    path = os.path.join(keras, "KERAS_3layer.json")
    model = nnfirm.load_model(path)
    design = nnfirm.convert(model)
    X = np.loadtxt(rows_csv, delimiter=",")
    trace = design.trace(X)
    assert list(trace) == design.layer_names
    assert list(trace) == [l["name"] for l in model.layers]  # no BN or Dropout in this model
    for name, out in trace.items():
        assert out.shape == (50, design.layers[design.layer_names.index(name)]["n_out"])
        assert np.array_equal(out, cli_predict(cli, path, rows_csv, name, tmp_path)), name
    assert np.array_equal(trace["output_softmax"], design.predict(X))
    codes = design.trace(X, codes=True)
    assert codes["fc1_relu"].dtype == np.int64
    assert np.array_equal(codes["fc1_relu"] / 2.0**10, trace["fc1_relu"])  # ap_fixed<16,6>: 10 fractional bits


def test_float_predict_matches_refs(keras, testdata):
    model = nnfirm.load_model(os.path.join(keras, "KERAS_3layer.json"))
    X = np.loadtxt(os.path.join(testdata, "refs", "inputs16.csv"), delimiter=",")
    ref = np.loadtxt(os.path.join(testdata, "refs", "KERAS_3layer.float.csv"), delimiter=",")
    assert np.max(np.abs(model.predict(X) - ref)) < 1e-5


def test_bad_model_file_names_the_file(tmp_path):
    bad = tmp_path / "broken.h5"
    bad.write_bytes(b"this is not HDF5")
    with pytest.raises(nnfirm.Error) as e:
        nnfirm.load_model(bad)
    assert str(bad) in str(e.value)
    assert e.value.code == 2
    with pytest.raises(nnfirm.Error, match="missing.json"):
        nnfirm.load_model(tmp_path / "missing.json")


def test_bad_config_raises(keras):
    model = nnfirm.load_model(os.path.join(keras, "KERAS_3layer.json"))
    with pytest.raises(nnfirm.Error, match="nosuchlayer"):
        nnfirm.convert(model, {"LayerName": {"nosuchlayer": {"ReuseFactor": 1}}})
    with pytest.raises(nnfirm.Error, match="ap_fixed<99"):
        nnfirm.convert(model, {"Model": {"Precision": "ap_fixed<99,6>"}})


def test_config_keys(keras):
    model = nnfirm.load_model(os.path.join(keras, "KERAS_3layer.json"))
    cfg = nnfirm.config_from_model(model, granularity="name")
    assert cfg["Model"]["Precision"] == "ap_fixed<16,6>"
    assert "fc1_relu" in cfg["LayerName"]
    assert set(cfg["LayerName"]["fc1_relu"]["Precision"]) >= {"weight", "bias"}
    assert "LayerType" in nnfirm.config_from_model(model, granularity="type")


def test_project_estimate_cosim(keras, rows50, tmp_path):
    model = nnfirm.load_model(os.path.join(keras, "KERAS_3layer.json"))
    cfg = nnfirm.config_from_model(model, granularity="model", default_precision="ap_fixed<8,4>")
    design = nnfirm.convert(model, cfg)
    prj = design.write_project(tmp_path / "prj")
    assert os.path.exists(os.path.join(prj, "manifest.json"))
    assert design.rtl_info["latency_cycles"] > 0
    est = nnfirm.estimate(prj)
    assert est["lut"] > 0 and [l["name"] for l in est["layers"]]
    report = nnfirm.cosim(prj, rows50[:8])
    assert report["mismatches"] == 0, report
    with pytest.raises(nnfirm.Error, match="nothere"):
        nnfirm.estimate(tmp_path / "nothere")


def test_data_and_training(tmp_path):
    X, y = nnfirm.data.synth(5000, seed=3)
    assert X.shape == (5000, 16) and X.dtype == np.float32
    assert set(np.unique(y)) == set(range(5))
    X2, y2 = nnfirm.data.synth(5000, seed=3)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    path = nnfirm.data.save(tmp_path / "jets.h5", X, y)
    X3, y3 = nnfirm.data.load(path)
    assert np.array_equal(X, X3) and np.array_equal(y, y3)
    m = nnfirm.train(X, y, hidden=(16,), epochs=10, batch=128, lr=3e-3, bits=6, prune=0.5)
    # 5 classes: chance is 0.2; 0.587 measured at these settings
    assert len(m.history) == 10 and m.history[-1]["val_accuracy"] > 0.45
    assert m.sparsity >= 0.45
    # the QAT model converts; the design's argmax is the float model's on most rows
    design = nnfirm.convert(m, nnfirm.config_from_model(m))
    agree = np.mean(design.predict(X[:500]).argmax(1) == m.predict(X[:500]).argmax(1))
    assert agree > 0.9
    # the pruning mask, read through the layers: the masked weights are the zero ones
    for l in (l for l in m.layers if l.class_name == "Dense"):
        w = l.weights
        assert w["mask"].shape == w["kernel"].shape and w["mask"].dtype == np.uint8
        assert np.all(w["kernel"][w["mask"] == 0] == 0)
        assert l.sparsity >= np.mean(w["mask"] == 0) - 1e-9  # zeros: pruned, or quantized to zero
    m.save(tmp_path / "m.nnf")
    assert nnfirm.load_model(tmp_path / "m.nnf").layer_names == m.layer_names


def test_load_model_with_other_weights(keras, rows50):
    """weights=: the same architecture with another weights file (hls4ml's 70%-pruned retraining)."""
    path = os.path.join(keras, "KERAS_3layer.json")
    dense = nnfirm.load_model(path)
    pruned = nnfirm.load_model(path, weights=os.path.join(keras, "KERAS_3layer_70pruned_retrained_weights.h5"))
    assert pruned.layer_names == dense.layer_names
    assert dense.sparsity < 0.05 and 0.6 < pruned.sparsity < 0.8
    assert not np.array_equal(pruned.predict(rows50), dense.predict(rows50))
    with pytest.raises(nnfirm.Error, match="nothere.h5"):
        nnfirm.load_model(path, weights=os.path.join(keras, "nothere.h5"))


def test_every_public_name_has_a_docstring():
    """help(nnfirm) is the manual: every function, class, method and property documents itself."""
    import inspect

    missing = []
    for name in nnfirm.__all__:
        obj = getattr(nnfirm, name)
        if isinstance(obj, str):
            continue
        members = vars(obj).items() if inspect.ismodule(obj) or inspect.isclass(obj) else []
        if not inspect.getdoc(obj):
            missing.append(name)
        for n, o in members:
            if n.startswith("_") or not (inspect.isfunction(o) or isinstance(o, property)):
                continue
            if inspect.ismodule(obj) and getattr(o, "__module__", None) != obj.__name__:
                continue
            if not inspect.getdoc(o):
                missing.append(f"{name}.{n}")
    assert not missing
    for fn in ("load_model", "config_from_model", "convert", "cosim", "synth", "estimate", "train", "search"):
        assert callable(getattr(nnfirm, fn))
    assert callable(nnfirm.data.synth) and callable(nnfirm.Design.predict) and callable(nnfirm.Design.trace)

"""nnfirm.synth (Yosys) and nnfirm.search (the competition) through the
Python API, on a small trained network and synthetic jets (not the real
data set)."""
import json
import os

import numpy as np
import pytest

import nnfirm


@pytest.fixture(scope="module")
def jets():
    return nnfirm.data.synth(8000, seed=11)


@pytest.fixture(scope="module")
def small_project(jets, tmp_path_factory):
    """A 16-8-5 network, 4-bit QAT, written as a project with RTL."""
    X, y = jets
    model = nnfirm.train(X, y, hidden=(8,), epochs=4, batch=256, lr=3e-3, bits=4, seed=3)
    design = nnfirm.convert(model, nnfirm.config_from_model(model))
    return design.write_project(tmp_path_factory.mktemp("synth") / "prj")


def test_synth(small_project):
    s = nnfirm.synth(small_project, part="xcvu9p", timeout=600)
    assert s["part"] == "xcvu9p" and "not Vivado" in s["tool"]
    assert s["lut"] > 0 and s["ff"] > 0 and s["dsp"] == 0  # use_dsp=False: multipliers in LUTs
    assert s["lut"] == s["lut_logic"] + s["lut_memory"]
    est = nnfirm.estimate(small_project, part="xcvu9p")
    # the estimate is calibrated against Yosys: the same magnitude, computed independently
    assert 0.5 < s["lut"] / est["lut"] < 2, (s["lut"], est["lut"])
    assert s["lut_pct"] / s["lut"] == pytest.approx(est["lut_pct"] / est["lut"], rel=1e-9)  # same part size
    assert s["critical_path_ns"] > 0 and s["fmax_mhz"] == pytest.approx(1000 / s["critical_path_ns"], rel=1e-6)
    assert s["meets_timing"] == (s["slack_ns"] >= 0)
    assert s["latency_cycles"] > 0
    stat = os.path.join(small_project, "synth", "stat.json")
    assert os.path.exists(stat)
    with pytest.raises(nnfirm.Error, match="unknown part 'xcnope'"):
        nnfirm.synth(small_project, part="xcnope")
    with pytest.raises(nnfirm.Error, match="nothere"):
        nnfirm.synth(os.path.join(small_project, "nothere"))


def test_search(jets, tmp_path):
    """Two candidates: trained, converted, scored bit-exact, estimated; the
    one above the floor is synthesized and wins; its project co-simulates.
    (Measured: hidden=4 at 4 bits, the cheaper, 0.21 validation accuracy,
    below the 0.3 floor; hidden=8 0.36: the floor decides.)"""
    X, y = jets
    out = tmp_path / "search"
    cands = ["hidden=8;bits=6;prune=0.5", "hidden=4;bits=4;prune=0"]
    r = nnfirm.search(out, data=(X, y), candidates=cands, epochs=8, min_accuracy=0.3, budget=600, jobs=2, synth=1)
    with open(out / "search.json") as f:
        assert json.load(f)["candidates"] == r["candidates"] == 2
    assert sorted(c["spec"].split(";")[0] for c in r["all"]) == ["hidden=4", "hidden=8"]
    w = r["winner"]
    assert w is not None, r["all"]
    # the rule: the cheapest (LUT% + FF%) of those at or above the floor, on validation accuracy
    passing = [c for c in r["all"] if c["accuracy_validation"] >= r["min_accuracy"]]
    assert w["id"] in [c["id"] for c in passing]
    assert all(w["lut_pct"] + w["ff_pct"] <= c["lut_pct"] + c["ff_pct"] for c in passing)
    assert w["resources_from"] == "yosys" and w["lut"] > 0
    lo, hi = w["accuracy_test_ci95"]
    assert 0 <= lo <= w["accuracy_test"] <= hi <= 1 and w["test_rows"] > 0
    # the Pareto front: no point on it dominated by another candidate
    for p in r["pareto"]:
        assert not any(c["accuracy_validation"] > p["accuracy_validation"]
                       and c["lut_pct"] + c["ff_pct"] < p["lut_pct"] + p["ff_pct"] for c in r["all"]), p["id"]
    # relax=3 (the default): the winner's project was converted again, relaxed, and met its clock
    assert os.path.isdir(os.path.join(os.path.dirname(w["project"]), "relax")) and w["meets_timing"] is True
    # the winner's model and project are real: its design predicts as its project's RTL does
    report = nnfirm.cosim(w["project"], X[:16], simulator="iverilog")
    assert report["mismatches"] == 0 and report["rows"] == 16
    model = nnfirm.load_model(os.path.join(os.path.dirname(w["project"]), "model.nnf"))
    hidden = int(w["spec"].split(";")[0].split("=")[1])
    assert [l.n_out for l in model.layers if l.class_name == "Dense"] == [hidden, 5]
    with pytest.raises(nnfirm.Error, match="hidden, bits and prune are required"):
        nnfirm.search(tmp_path / "bad", data=(X, y), candidates=["hidden=4"])

"""nnfirm: neural networks to FPGA firmware, from Python.

The Python face of libnnfirm (the C library behind the ``nnfirm`` command):
numpy arrays in, numpy arrays and dicts out, every library error raised as
:class:`nnfirm.Error` carrying the library's message (which names the file
and the place). Where a concept is hls4ml's, the names and keys are hls4ml's.

The flow, as in hls4ml's tutorial::

    import nnfirm
    model = nnfirm.load_model("KERAS_3layer.json")           # + its _weights.h5
    config = nnfirm.config_from_model(model, granularity="name")
    config["LayerName"]["fc1_relu"]["ReuseFactor"] = 2      # hls4ml keys
    design = nnfirm.convert(model, config)                  # fixed-point design
    y = design.predict(X)            # bit-exact: the hardware's output values
    outputs = design.trace(X)        # every layer's output, by layer name
    project = design.write_project("prj")   # design.json, Verilog, testbench
    nnfirm.cosim(project, X)         # RTL vs emulator, output codes compared
    nnfirm.estimate(project)         # LUT / FF per layer, no synthesis
    nnfirm.synth(project, part="xcvu9p")    # Yosys: LUT / FF / DSP / BRAM

Training and search::

    X, y = nnfirm.data.synth(100000, seed=1)   # synthetic jets (not the real data set)
    model = nnfirm.train(X, y, hidden=(64, 32, 32), bits=6, prune=0.75)
    nnfirm.search("search", data=(X, y), budget=600)

Layers and their weights::

    model.get_layer("fc1").get_weights()     # [kernel (16, 64), bias (64,)], as Keras
    design.get_layer("fc1").weight_t         # "ap_fixed<16,6>"
    design.get_layer("fc1").get_weights()    # {"weight": ..., "bias": ...}: the quantized values

Functions: load_model, config_from_model, convert, cosim, synth, estimate,
train, search; the submodule :mod:`nnfirm.data`; the classes Model, Design,
their layers (Layer, ModelLayer, DesignLayer) and Error.

The package is a CPython extension (``nnfirm._core``) linked against the
repository's ``libnnfirm.so``; see python/README.md for how it is built and
found.
"""

import json
import os

import numpy as np

try:
    from . import _core
except ImportError as _e:
    # The extension could not be loaded: libnnfirm.so is missing, or it lacks
    # a function the package calls (a library older or newer than the
    # package). A library of other headers is refused by _core itself.
    if not str(_e).startswith("nnfirm:") and ("undefined symbol" in str(_e) or "libnnfirm" in str(_e)):
        raise ImportError(
            f"nnfirm: the package's extension cannot use the libnnfirm.so it finds ({_e}). The library and the "
            "package must come from the same build: rebuild the library (cmake --build build) and reinstall the "
            "package (pip install --no-build-isolation ./python), or unset LD_LIBRARY_PATH if it points at "
            "another libnnfirm.so.") from _e
    raise
from . import data
from .data import save as _save_data

__version__ = "0.1.0"
__all__ = ["Error", "Model", "Design", "Layer", "ModelLayer", "DesignLayer", "load_model", "config_from_model", "convert", "cosim", "synth",
           "estimate", "train", "search", "data", "BUILD_DIR", "NNFIRM_EXECUTABLE",
           "LIBRARY_VERSION", "ABI_ID"]

#: The CMake build directory the package was built against (libnnfirm.so).
BUILD_DIR = _core.BUILD_DIR
#: The ``nnfirm`` command of that build (the search runs its candidates with it).
NNFIRM_EXECUTABLE = os.path.join(BUILD_DIR, "nnfirm")
#: The loaded libnnfirm's version (nf_version).
LIBRARY_VERSION = _core.LIBRARY_VERSION
#: The identity (SHA-256) of the public headers the extension was compiled
#: against; the loaded library was built from the same ones (checked at import).
ABI_ID = _core.ABI_ID


class Error(Exception):
    """An error reported by libnnfirm.

    ``str(e)`` is the library's message, which names the file and the place
    (e.g. ``"bad.json: line 3: ..."``); ``e.code`` is 2 for bad input (a
    file, a value, an option) and 1 for an internal failure (memory, I/O).
    """

    def __init__(self, message, code=2):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self):
        return self.message


_core.set_error_type(Error)


def _rows(X):
    """X as a 2-D array of rows: a single row may be given as 1-D, and rows
    of a convolutional model's input as [n, height, width, channels] or
    [n, length, channels] (channels last, as Keras), flattened in that order."""
    X = np.asarray(X)
    if X.ndim == 1:
        return X.reshape(1, -1)
    return X.reshape(len(X), -1) if X.ndim > 2 else X


class Layer(dict):
    """One layer of a :class:`Model` or a :class:`Design`: a dict of its
    attributes, readable as keys (``layer["name"]``) or attributes
    (``layer.name``), and its parameters through :meth:`get_weights` /
    :attr:`weights`.

    Keys of a model layer: ``name``, ``class_name`` (Keras' class:
    ``Dense``, ``Activation``, ``BatchNormalization``, ``Conv2D``,
    ``Flatten``, ...), ``kind``, ``input_shape`` and ``output_shape``
    (without the batch axis), ``n_in``, ``n_out``, ``activation``,
    ``kernel_quantizer`` / ``bias_quantizer`` / ``activation_quantizer``
    (QKeras' text, or None), ``trainable_params``,
    ``non_trainable_params``, ``sparsity`` (a Dense's fraction of zero
    weights as the model computes them); a BatchNormalization's
    ``epsilon``, a Dropout's ``rate``.

    Keys of a design layer (hls4ml's names): ``name``, ``class_name``,
    ``input_shape``, ``output_shape``, ``n_in``, ``n_out``, the types
    ``input_t``, ``result_t``, ``weight_t``, ``bias_t``, ``accum_t`` (None
    where the layer has no such variable), ``reuse_factor``,
    ``activation``, ``hardware`` (False for a trailing softmax left out of
    the hardware).
    """

    def __init__(self, info, owner, index):
        super().__init__(info)
        self._owner = owner  # the Model or Design handle; keeps it alive
        self._index = index

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"layer '{self.get('name')}' has no attribute '{key}'") from None

    def __repr__(self):
        return f"<nnfirm.Layer {self['name']}: {self['class_name']} {self['input_shape']} -> {self['output_shape']}>"

    @property
    def weights(self):
        """The layer's parameters as a dict of numpy arrays (see :meth:`get_weights`)."""
        return self._weights()


class ModelLayer(Layer):
    """A layer of a float :class:`Model` (see :class:`Layer` for its keys)."""

    def _weights(self):
        return _core.model_layer_weights(self._owner, self._index)

    def get_weights(self):
        """The parameters in Keras' order, as ``keras.layers.Layer.get_weights``
        gives them (float32): Dense and Conv ``[kernel, bias]`` (kernel
        (n_in, n_out), or (kh, kw, channels, filters) for a convolution;
        no bias with use_bias=False), BatchNormalization ``[gamma, beta,
        moving_mean, moving_variance]``, other layers ``[]``. Weights are as
        stored, before a QKeras quantizer rounds them; pruned weights are
        zero. :attr:`weights` has the same arrays by Keras' variable name,
        plus ``mask`` (uint8, 1 where a weight is kept) in a pruned layer."""
        w = self._weights()
        order = ("kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance")
        return [w[k] for k in order if k in w]


class DesignLayer(Layer):
    """A layer of a fixed-point :class:`Design` (see :class:`Layer` for its keys)."""

    def _weights(self):
        return _core.design_layer_weights(self._owner, self._index, False)

    def get_weights(self, codes=False):
        """The quantized parameters the hardware uses, as a dict by hls4ml's
        variable names: ``weight`` (Dense (n_in, n_out), Conv (kh, kw,
        channels, filters), a BatchNormalization kept as a layer of its own
        (channels)) and ``bias`` (channels); a BatchNormalization folded
        into its Dense is in that Dense's values. Values are exact (float64:
        code * 2^-fractional bits of ``weight_t`` / ``bias_t``);
        ``codes=True`` gives the integer codes (int64). Empty for layers
        without parameters."""
        return _core.design_layer_weights(self._owner, self._index, bool(codes))


class Model:
    """A network graph in float precision (a chain of layers: Dense,
    BatchNormalization, Activation, Dropout, and the convolutional kinds
    Conv1D/Conv2D, pooling, ZeroPadding, Flatten/Reshape): imported from Keras / QKeras / ONNX /
    ``.nnf`` by :func:`load_model`, or trained by :func:`train`.

    Attributes: ``layers`` (a list of :class:`ModelLayer`: each layer's
    name, class, shapes, quantizers, and its weights through
    ``get_weights()``), ``n_features``, ``n_outputs``, ``source``,
    ``path`` (the file it came from, or None), ``history`` (per-epoch dicts
    after :func:`train`, else None). :meth:`get_layer` finds a layer by
    name.
    """

    def __init__(self, handle, path=None, history=None):
        self._h = handle
        self.path = path
        self.history = history
        info = _core.model_info(handle)
        self.layers = [ModelLayer(_core.model_layer_info(handle, i), handle, i) for i in range(len(info["layers"]))]
        self.n_features = info["n_features"]
        self.n_outputs = info["n_outputs"]
        self.source = info["source"]
        self.trainable_params = info["trainable_params"]
        self.non_trainable_params = info["non_trainable_params"]
        #: Fraction of Dense weights that are zero (pruned or quantized to zero).
        self.sparsity = info["sparsity"]

    def __repr__(self):
        names = ", ".join(l["name"] for l in self.layers)
        return f"<nnfirm.Model {self.n_features} -> {self.n_outputs}: {names}>"

    @property
    def layer_names(self):
        """The layers' names, in order."""
        return [l["name"] for l in self.layers]

    def get_layer(self, name=None, index=None):
        """The :class:`ModelLayer` of that name (or at that index), as
        Keras' ``Model.get_layer``; raises :class:`Error` listing the layers
        when there is none."""
        if index is not None:
            return self.layers[index]
        if name not in self.layer_names:
            raise Error(f"no layer named '{name}' in the model (layers: {', '.join(self.layer_names)})")
        return self.layers[self.layer_names.index(name)]

    def summary(self):
        """Keras-summary()-style table (layer, type, output shape, params) as a string."""
        return _core.model_summary(self._h)

    def predict(self, X, layer=None):
        """Float forward pass (double precision) over rows X [n, n_features].

        Returns the model's output (class probabilities) as float64 [n,
        n_outputs], or with ``layer`` (a name) that layer's output. The
        model's input standardization, if it has one, is applied first.
        """
        upto = -1
        if layer is not None:
            if layer not in self.layer_names:
                raise Error(f"no layer named '{layer}' in the model (layers: {', '.join(self.layer_names)})")
            upto = self.layer_names.index(layer)
        return _core.model_forward(self._h, _rows(X), upto)

    def save(self, path):
        """Writes the model in nnfirm's own format (``.nnf``) to path; returns path."""
        _core.model_save(self._h, os.fspath(path))
        self.path = os.fspath(path)
        return self.path


def load_model(path, weights=None):
    """Reads a model file into a :class:`Model`.

    Formats by extension: Keras ``.json`` architecture (weights from
    ``weights``, else ``<stem>_weights.h5`` beside it), full-model ``.h5``,
    Keras 3 ``.keras``, QKeras layers and quantizers, ``.onnx``, and nnfirm's
    ``.nnf``. Raises :class:`Error` naming the file (and the layer or node)
    when it cannot be read.
    """
    path = os.fspath(path)
    if weights is not None:
        weights = os.fspath(weights)
        if not os.path.isfile(weights):  # the library would only say the model has no weights file
            raise Error(f"{weights}: no such weights file (for {path})")
    return Model(_core.model_open(path, weights), path=path)


def _replace_defaults(node, precision, reuse):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "ReuseFactor" and reuse is not None:
                node[k] = reuse
            elif isinstance(v, str) and precision is not None and v == "ap_fixed<16,6>":
                node[k] = precision
            else:
                _replace_defaults(v, precision, reuse)


def config_from_model(model, granularity="name", default_precision=None, default_reuse_factor=None,
                      auto_precision=False):
    """A starting configuration for the model, as hls4ml's
    ``config_from_keras_model``: a dict with hls4ml's keys (``Model`` with
    ``Precision``, ``ReuseFactor``, ``Strategy``; with granularity "type"
    ``LayerType``, with "name" ``LayerName`` entries per layer with a
    ``Precision`` per variable: weight, bias, result, accum).

    granularity: "model", "type" or "name". QKeras quantizers become their
    exact types. default_precision replaces the built-in ap_fixed<16,6>
    wherever the generator wrote it; default_reuse_factor sets every
    ``ReuseFactor``. auto_precision writes "auto" for data-dependent types
    (resolved from the calibration rows given to :func:`convert`).
    """
    cfg = json.loads(_core.config_generate(model._h, granularity, bool(auto_precision)))
    _replace_defaults(cfg, default_precision, default_reuse_factor)
    return cfg


DEFAULT_CONFIG = {"Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 1, "Strategy": "Latency"}}


class Design:
    """A fixed-point design: the model with every weight quantized and every
    variable typed (ap_fixed), as :func:`convert` builds it. Its emulator is
    bit-exact: :meth:`predict` gives the values the generated hardware
    outputs.

    Attributes: ``model``, ``config`` (the dict converted with), ``layers``
    (a list of :class:`DesignLayer`: name, class, shapes, every variable's
    type ``input_t`` / ``result_t`` / ``weight_t`` / ``bias_t`` /
    ``accum_t``, ``reuse_factor``, ``hardware``, and the quantized weights
    through ``get_weights()``), ``layer_names``, ``n_inputs``,
    ``n_outputs``, ``input_t``, ``part``, ``clock_period_ns``,
    ``project_dir`` (after :meth:`write_project`). :meth:`get_layers` and
    :meth:`get_layer` as in hls4ml. A folded BatchNormalization and a
    Dropout have no layer of their own here.
    """

    def __init__(self, handle, model, config):
        self._h = handle
        self.model = model
        self.config = config
        info = _core.design_info(handle)
        self.layers = [DesignLayer(_core.design_layer_info(handle, i), handle, i) for i in range(len(info["layers"]))]
        for l in self.layers:  # the Keras class of the model's layer ("Conv2D" rather than the kind "Conv")
            if model is not None and l["name"] in model.layer_names:
                l["class_name"] = model.get_layer(l["name"]).class_name
        self.layer_names = [l["name"] for l in self.layers]
        self.n_inputs = info["n_inputs"]
        self.n_outputs = info["n_outputs"]
        self.input_t = info["input_t"]
        self.part = info["part"]
        self.project_name = info["project"]
        self.clock_period_ns = info["clock_period_ns"]
        self.project_dir = None
        self._n_hw = info["n_hw"]

    def __repr__(self):
        return (f"<nnfirm.Design {self.project_name}: {len(self.layers)} layers, "
                f"{self.n_inputs} -> {self.n_outputs}, input {self.input_t}>")

    def get_layers(self):
        """The design's layers in order (hls4ml's ``ModelGraph.get_layers``)."""
        return list(self.layers)

    def get_layer(self, name):
        """The :class:`DesignLayer` of that name; raises :class:`Error` listing the layers when there is none."""
        return self.layers[self._index(name)]

    def compile(self):
        """hls4ml's ``compile()``: nothing to do (the emulator is built in); returns self."""
        return self

    def _index(self, layer):
        if layer not in self.layer_names:
            raise Error(f"no layer named '{layer}' in the fixed-point design (layers: {', '.join(self.layer_names)}; "
                        "a folded BatchNormalization and Dropout have no output of their own)")
        return self.layer_names.index(layer)

    def predict(self, X, layer=None, codes=False):
        """Bit-exact emulation over rows X [n, n_inputs] of raw features (the
        model's standardization, then the input type's cast, apply).

        Returns the hardware's output as float64 [n, n_outputs]: the values
        (code * 2^-fractional bits, exact in a double up to 53 bits) of the
        last layer in hardware — the logits unless the configuration says
        ``Softmax: True`` (argmax of the logits decides the class). With
        ``layer`` (a name): that layer's output instead. ``codes=True``
        returns the integer codes (int64) instead of their values.
        """
        upto = -1 if layer is None else self._index(layer)
        return _core.design_emulate(self._h, _rows(X), upto, bool(codes))

    def trace(self, X, codes=False):
        """Every layer's output over rows X, as hls4ml's ``trace``: a dict
        from layer name to array [n, that layer's n_out], in layer order
        (including a trailing softmax the hardware leaves out)."""
        X = _rows(X)
        return {name: _core.design_emulate(self._h, X, i, bool(codes)) for i, name in enumerate(self.layer_names)}

    def write_project(self, output_dir, rtl=True):
        """Writes the project directory (design.json with exact weight codes,
        config.json, manifest.json, and with rtl the Verilog in rtl/ and its
        testbench in tb/), whole or not at all (an existing one is replaced).
        Returns the directory's path, for :func:`cosim`, :func:`synth` and
        :func:`estimate`; ``self.rtl_info`` gets the generator's
        ``latency_cycles`` and ``ii``."""
        output_dir = os.fspath(output_dir)
        model_path = self.model.path if self.model is not None else None
        self.rtl_info = _core.project_write(self._h, output_dir, model_path, json.dumps(self.config, indent=2) + "\n",
                                            bool(rtl))
        self.project_dir = output_dir
        return output_dir


def convert(model, config=None, calibration=None):
    """Turns a :class:`Model` into a fixed-point :class:`Design`.

    config: a dict with hls4ml's keys (as :func:`config_from_model` makes,
    or hls4ml's ``HLSConfig``), a path to a JSON or YAML file, or None for
    ap_fixed<16,6> everywhere. calibration: rows of raw features for
    "auto" precisions. Raises :class:`Error` for unknown keys, a LayerName
    that names no layer, or a bad type or value (the message names the key
    path and the value).
    """
    if config is None:
        config = DEFAULT_CONFIG
    if isinstance(config, (str, os.PathLike)):
        path = os.fspath(config)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise Error(f"{path}: {e.strerror}") from None
        handle = _core.design_build(model._h, text, path, None if calibration is None else _rows(calibration))
        cfg = json.loads(text) if text.lstrip().startswith("{") else {"file": path}
        return Design(handle, model, cfg)
    text = json.dumps(config)
    handle = _core.design_build(model._h, text, "<config dict>", None if calibration is None else _rows(calibration))
    return Design(handle, model, json.loads(text))


def _project_dir(project):
    return project.project_dir if isinstance(project, Design) else os.fspath(project)


def cosim(project, X, simulator="verilator"):
    """Co-simulation: runs the project's generated Verilog (Verilator or
    "iverilog") on every row of X and compares every output code with the
    bit-exact emulator. Returns report.json's content as a dict (rows,
    mismatches, measured latency and II, ...); mismatches are a result, not
    an error. project: a directory or a written :class:`Design`."""
    return json.loads(_core.cosim(_project_dir(project), np.asarray(_rows(X), dtype=np.float64), simulator))


def synth(project, part="xcvu9p", use_dsp=False, clock_period=None, timeout=None):
    """Yosys synthesis (synth_xilinx, out of context) of the project's RTL
    for ``part``. Returns a dict: lut, ff, dsp, bram, carry, their
    percentages of the part, seconds, and the timing of the mapped netlist
    (critical_path_ns, fmax_mhz, meets_timing, slack_ns against
    clock_period, default the project's ClockPeriod). Yosys counts are not
    Vivado's. The work files go to <project>/synth."""
    return _core.synth(_project_dir(project), part, bool(use_dsp), float(clock_period or 0), float(timeout or 0))


def estimate(project, part=None, use_dsp=False):
    """Resource estimate without synthesis (milliseconds): LUT, FF, DSP,
    BRAM and their percentages of ``part`` (default the project's Part, else
    xcvu9p), per layer in ``layers``, and Agilex 7 ALM / register estimates
    under ``agilex``. Calibrated against Yosys (see docs/firmware.md)."""
    return _core.estimate(_project_dir(project), part, bool(use_dsp))


def train(X, y, hidden=(64, 32, 32), epochs=30, batch=1024, lr=1e-3, seed=42, validation_data=None,
          validation_split=0.2, bits=None, quant=None, prune=None, prune_schedule=None, prune_global=False,
          batchnorm=False, dropout=0.0, l1=0.0, l2=0.0, patience=0, optimizer="adam"):
    """Trains the tutorial's MLP (n_features -> hidden... -> classes, ReLU,
    softmax output) on rows X with class indices y; returns the trained
    :class:`Model` (the best validation epoch's weights, with a standard
    scaler fitted on the training rows) with ``history``: one dict per epoch
    (loss, accuracy, val_loss, val_accuracy, lr, seconds).

    Validation rows: ``validation_data=(X_val, y_val)``, else a seeded
    random ``validation_split`` of X (0 for none).

    Quantization-aware training (QKeras semantics): ``bits`` quantizes every
    weight, bias and activation to quantized_bits(bits, 0) / quantized_relu;
    ``quant`` per layer, e.g. ``"fc1:w6i0,a6i0;output:wternary;input:a12i4"``.
    Pruning (TensorFlow Model Optimization's magnitude schedule): ``prune``
    a target sparsity (``0.75``) or per layer (``"fc1:0.8,output:0.5"``);
    ``prune_schedule`` e.g. ``"begin=0,end=2000,freq=100"``; ``prune_global``
    one threshold over all layers. Other options as ``nnfirm train``:
    batchnorm, dropout, l1, l2, patience (early stopping), optimizer
    ("adam" or "sgd").
    """
    X = np.ascontiguousarray(_rows(X), dtype=np.float32)
    y = np.ascontiguousarray(y, dtype=np.int32)
    n = len(X)
    if validation_data is not None:
        Xv = np.ascontiguousarray(_rows(validation_data[0]), dtype=np.float32)
        yv = np.ascontiguousarray(validation_data[1], dtype=np.int32)
        X, y = np.concatenate([X, Xv]), np.concatenate([y, yv])
        train_rows, val_rows = np.arange(n), np.arange(n, len(X))
    else:
        order = np.random.default_rng(seed).permutation(n)
        n_val = int(round(n * validation_split))
        train_rows, val_rows = np.sort(order[n_val:]), np.sort(order[:n_val])
    opts = dict(epochs=epochs, batch=batch, lr=lr, seed=seed, l1=l1, l2=l2, patience=patience,
                batchnorm=bool(batchnorm), dropout=dropout, bits=int(bits or 0),
                quant=quant, prune=None if prune is None else str(prune), prune_schedule=prune_schedule,
                prune_global=bool(prune_global), optimizer=optimizer)
    handle, history, best = _core.train(X, y, train_rows.astype(np.int_), val_rows.astype(np.int_),
                                        np.asarray(hidden, dtype=np.int32), opts)
    m = Model(handle, history=history)
    m.best_epoch = best
    return m


def search(output_dir, data=None, candidates=None, part="xcvu9p", epochs=60, min_accuracy=0.74, budget=1200,
           jobs=2, synth=3, seed=1, relax=3.0):
    """The design-space search of ``nnfirm search`` (the course's
    competition): candidates (hidden widths x bits x sparsity x ReuseFactor
    x input bits) trained with QAT and pruning, converted, scored bit for
    bit on the validation split and estimated; the ``synth`` cheapest above
    ``min_accuracy`` synthesized with Yosys; the Pareto front and the winner
    (smallest LUT% + FF%) chosen on validation accuracy, the winner's test
    accuracy reported with its 95% Wilson interval.

    data: a labelled data file, or (X, y) arrays (saved as
    <output_dir>/data.h5), or None for the default 200k synthetic jets.
    candidates: spec strings such as ``"hidden=16,8;bits=4;prune=0.8"``, run
    as given, or None for the default space (shuffled by seed, then evolved
    as ``nnfirm search --strategy evolve`` does). budget: seconds (two
    thirds explore). relax: nanoseconds, as ``nnfirm search --relax`` (a
    synthesized candidate's pipeline placed for ClockPeriod + relax and +
    relax/2 a stage, each tightened until its netlist meets the clock, the
    cheaper kept; 0 = as converted). Returns search.json's content as a dict (winner,
    pareto, candidates, ...). Candidates run as child processes of the
    ``nnfirm`` executable beside libnnfirm.so (:data:`NNFIRM_EXECUTABLE`).
    """
    output_dir = os.fspath(output_dir)
    os.makedirs(output_dir, exist_ok=True)
    if isinstance(data, tuple):
        data = _save_data(os.path.join(output_dir, "data.h5"), data[0], data[1])
    elif data is not None:
        data = os.path.abspath(os.fspath(data))
    specs = list(candidates) if candidates else []  # empty: the default space
    text = _core.search(output_dir, NNFIRM_EXECUTABLE, specs, data, part, int(epochs), float(min_accuracy),
                        float(budget), int(jobs), int(synth), int(seed), float(relax))
    return json.loads(text)

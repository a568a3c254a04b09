"""Jet data for nnfirm: the synthetic generator and the file loaders.

The synthetic jets are a physics-motivated stand-in for the hls4ml LHC jet
data set (16 high-level features, 5 classes g, q, w, z, t in equal shares);
they are not the real data set: figures measured on them say so.
"""

import os

import numpy as np

from . import _core

#: The 16 feature names in order (the real data set's HDF5 spelling).
FEATURES = None
#: The class names in nnfirm's canonical order.
CLASSES = ("g", "q", "w", "z", "t")


def synth(n, seed=1):
    """n synthetic jets: (X float32 [n, 16], y int64 [n] class indices in
    the order of :data:`CLASSES`). The same seed gives the same values (as
    ``nnfirm data synth -n N --seed S``)."""
    X, y, _, _ = _core.data_synth(int(n), int(seed))
    return X, y


def load(path):
    """Reads labelled rows from a file (.csv, .npy + .labels.npy, .h5/.hdf5,
    .arff; by extension): (X float32 [n, features], y int64 [n]), classes
    mapped onto :data:`CLASSES` by name. Raises nnfirm.Error naming the file
    and the line / field / data set."""
    X, y, _, _ = _core.data_load(os.fspath(path))
    return X, y


def save(path, X, y):
    """Writes rows X with labels y to path (.csv, .npy or .h5, atomically),
    in the format ``nnfirm train --data`` reads."""
    _core.data_save(os.fspath(path), np.asarray(X, dtype=np.float32), np.asarray(y, dtype=np.int32))
    return os.fspath(path)


def _feature_names():
    _, _, names, _ = _core.data_synth(1, 1)
    return tuple(names)


FEATURES = _feature_names()

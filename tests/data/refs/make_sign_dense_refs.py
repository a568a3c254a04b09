#!/usr/bin/python3
"""Float references for hls4ml's binary and ternary example models.

Independent of nnfirm's C code: reads the Keras architecture (JSON) and the
HDF5 weights with h5py, runs the forward pass in numpy (float64) and writes
<model>.float.csv beside this script, one row per row of inputs16.csv, the
five outputs of the final BatchNormalization (the models have no softmax).

Semantics, as hls4ml's Keras converter reads these layers:
  BinaryDense   y = x . Wq (+ bq), Wq = +1 where W >= 0, else -1
  TernaryDense  y = x . Wq (+ bq), Wq = +1 where W > 0.5, -1 where W <= -0.5, else 0
  BatchNormalization  gamma (x - mean) / sqrt(var + eps) + beta
  binary_tanh   +1 where x > 0, else -1
  ternary_tanh  +1 where x > 0.5, -1 where x < -0.5, else 0
It also prints, per model, the smallest distance of a sign activation's
input from its thresholds over all rows: a reference is only meaningful if
no row sits on a threshold (there float32 and float64 could disagree).

Run with Debian's python3-numpy and python3-h5py:
  /usr/bin/python3 tests/data/refs/make_sign_dense_refs.py
"""
import json
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, '..', 'models', 'keras')
NAMES = ['KERAS_3layer_binary_smaller', 'KERAS_3layer_ternary_small']


def weights_of(h5, layer):
    group = h5[layer]
    names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs['weight_names']]
    return {n.split('/')[-1].split(':')[0]: np.array(group[n], dtype=np.float64) for n in names}


def forward(name, x):
    with open(os.path.join(MODELS, name + '.json')) as f:
        arch = json.load(f)
    layers = arch['config'] if isinstance(arch['config'], list) else arch['config']['layers']
    margin = np.inf
    with h5py.File(os.path.join(MODELS, name + '_weights.h5'), 'r') as h5:
        for layer in layers:
            cls, cfg = layer['class_name'], layer['config']
            if cls in ('BinaryDense', 'TernaryDense'):
                w = weights_of(h5, cfg['name'])
                k = w['kernel']
                if cls == 'BinaryDense':
                    q = np.where(k >= 0, 1.0, -1.0)
                else:
                    q = np.where(k > 0.5, 1.0, np.where(k <= -0.5, -1.0, 0.0))
                x = x @ q
                if 'bias' in w:
                    b = w['bias']
                    x = x + (np.where(b >= 0, 1.0, -1.0) if cls == 'BinaryDense' else
                             np.where(b > 0.5, 1.0, np.where(b <= -0.5, -1.0, 0.0)))
            elif cls == 'BatchNormalization':
                w = weights_of(h5, cfg['name'])
                x = w['gamma'] * (x - w['moving_mean']) / np.sqrt(w['moving_variance'] + cfg['epsilon']) + w['beta']
            elif cls == 'Activation' and cfg['activation'] == 'binary_tanh':
                margin = min(margin, np.abs(x).min())
                x = np.where(x > 0, 1.0, -1.0)
            elif cls == 'Activation' and cfg['activation'] == 'ternary_tanh':
                margin = min(margin, np.abs(np.abs(x) - 0.5).min())
                x = np.where(x > 0.5, 1.0, np.where(x < -0.5, -1.0, 0.0))
            else:
                raise SystemExit('%s: layer %s (%s) is not handled' % (name, cfg['name'], cls))
    return x, margin


def main():
    x = np.loadtxt(os.path.join(HERE, 'inputs16.csv'), delimiter=',', dtype=np.float64)
    for name in NAMES:
        y, margin = forward(name, x)
        out = os.path.join(HERE, name + '.float.csv')
        with open(out, 'w') as f:
            for row in y:
                f.write(','.join('%.17g' % v for v in row) + '\n')
        print('%s: %d rows x %d, smallest distance from a threshold %.3g' % (out, y.shape[0], y.shape[1], margin))


if __name__ == '__main__':
    main()

"""Shared fixtures: where the test data and the nnfirm command are.

CTest passes TESTDATA (tests/data) and NNFIRM (the CLI of the same build);
run by hand, the repository's tests/data and the package's build are used.
"""
import os

import numpy as np
import pytest

import nnfirm

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="session")
def testdata():
    return os.environ.get("TESTDATA") or os.path.join(os.path.dirname(HERE), "data")


@pytest.fixture(scope="session")
def cli():
    return os.environ.get("NNFIRM") or nnfirm.NNFIRM_EXECUTABLE


@pytest.fixture(scope="session")
def keras(testdata):
    return os.path.join(testdata, "models", "keras")


@pytest.fixture(scope="session")
def rows50(testdata):
    """The first 50 reference input rows (the rows of the fixed-point references)."""
    return np.loadtxt(os.path.join(testdata, "refs", "inputs16.csv"), delimiter=",")[:50]

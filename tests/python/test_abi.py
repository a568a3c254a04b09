"""The extension refuses a libnnfirm.so built from other headers (or one
lacking the functions it calls) with a clear ImportError, instead of
misreading the library's structs. Each case imports nnfirm in a child
interpreter with LD_LIBRARY_PATH (which takes precedence over the
extension's run path) pointing at a doctored copy of the library."""
import os
import re
import shutil
import subprocess
import sys
import sysconfig

import pytest

import nnfirm

LIB = os.path.join(nnfirm.BUILD_DIR, "libnnfirm.so")


def import_with(libdir):
    env = dict(os.environ, LD_LIBRARY_PATH=str(libdir))
    code = "import nnfirm; print('loaded', nnfirm.LIBRARY_VERSION)"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd="/")


def test_abi_id_is_the_headers_hash():
    assert re.fullmatch(r"[0-9a-f]{64}", nnfirm.ABI_ID)
    assert re.fullmatch(r"\d+\.\d+\.\d+", nnfirm.LIBRARY_VERSION)


def test_same_library_copied_loads(tmp_path):
    """The control: an unchanged copy of the library loads through LD_LIBRARY_PATH."""
    shutil.copy(LIB, tmp_path / "libnnfirm.so")
    r = import_with(tmp_path)
    assert r.returncode == 0, r.stderr
    assert "loaded" in r.stdout


def test_library_of_other_headers_is_refused(tmp_path):
    data = open(LIB, "rb").read()
    ident = nnfirm.ABI_ID.encode()
    assert data.count(ident) == 1  # the identity nf_abi_id returns
    other = "0123456789ab" + nnfirm.ABI_ID[12:]
    (tmp_path / "libnnfirm.so").write_bytes(data.replace(ident, other.encode()))
    r = import_with(tmp_path)
    assert r.returncode == 1, (r.returncode, r.stderr)  # an exception, not a crash (a signal)
    assert "ImportError: nnfirm:" in r.stderr
    assert str(tmp_path / "libnnfirm.so") in r.stderr  # names the library it found
    assert "headers 0123456789ab" in r.stderr and f"headers {nnfirm.ABI_ID[:12]}" in r.stderr
    assert "reinstall the package" in r.stderr


def test_library_without_the_functions_is_refused(tmp_path):
    """A libnnfirm.so lacking what the extension calls (an older library)."""
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if not shutil.which(cc):
        pytest.skip(f"no C compiler ({cc}) to build a stand-in library")
    src = tmp_path / "stub.c"
    src.write_text("int nf_stub_only(void) { return 0; }\n")
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(tmp_path / "libnnfirm.so"), str(src)], check=True)
    r = import_with(tmp_path)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "cannot use the libnnfirm.so it finds" in r.stderr
    assert "undefined symbol" in r.stderr

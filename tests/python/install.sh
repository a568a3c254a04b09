#!/bin/sh
# The Python package installed exactly as python/README.md says, into a fresh
# virtual environment ($VENV) that sees Debian's packages, against the
# library of this build ($NNFIRM_BUILD_DIR); then `import nnfirm` from
# elsewhere. The pytest and notebook tests run in that environment.
set -eu
: "${VENV:?}" "${NNFIRM_BUILD_DIR:?}" "${SRCDIR:?}"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
rm -rf "$VENV"
cd "$SRCDIR"
"$PY" -m venv --system-site-packages "$VENV"
"$VENV/bin/pip" install -q --no-build-isolation ./python
cd /
"$VENV/bin/python" -c "import nnfirm; assert nnfirm.BUILD_DIR == '$NNFIRM_BUILD_DIR', nnfirm.BUILD_DIR; print('nnfirm', nnfirm.__version__, 'from', nnfirm.__file__, 'library', nnfirm.BUILD_DIR)"

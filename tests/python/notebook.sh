#!/bin/sh
# examples/tutorial.ipynb executed with `jupyter nbconvert --execute` on its
# quick setting in the virtual environment python.install made (a kernel
# spec of that environment's interpreter, found first through JUPYTER_PATH).
# Fails if any cell fails; the executed notebook and its plots (PNG) stay in
# tests/tutorial/ of the build directory.
set -eu
: "${VENV:?}" "${SRCDIR:?}"
OUT=$PWD/tutorial
rm -rf "$OUT"
mkdir -p "$OUT/png"
"$VENV/bin/python" -m ipykernel install --prefix "$VENV" --name python3 --display-name "Python 3 (nnfirm)" >/dev/null
PYDEVD_DISABLE_FILE_VALIDATION=1 JUPYTER_PATH="$VENV/share/jupyter" NNFIRM_TUTORIAL_QUICK=1 NNFIRM_TUTORIAL_OUT="$OUT/work" \
  jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=1800 \
  --ExecutePreprocessor.kernel_name=python3 --output-dir "$OUT" --output tutorial "$SRCDIR/examples/tutorial.ipynb"
# The inline plots: every one is a PNG output; all are saved for looking at.
"$VENV/bin/python" - "$OUT" <<'PY'
import base64, json, sys
out = sys.argv[1]
nb = json.load(open(f"{out}/tutorial.ipynb"))
n = 0
for i, cell in enumerate(nb["cells"]):
    for o in cell.get("outputs", []):
        png = o.get("data", {}).get("image/png")
        if png:
            n += 1
            open(f"{out}/png/cell{i:02d}_{n}.png", "wb").write(base64.b64decode(png))
print(f"{n} plots in {out}/png")
sys.exit(0 if n >= 8 else f"expected at least 8 plots, found {n}")
PY

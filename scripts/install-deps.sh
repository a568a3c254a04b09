#!/bin/sh
# Installs every Debian package nnfirm needs to build, test and run its
# hardware flow. Run as root (or with sudo available). Idempotent and quick
# when everything is already there: apt is consulted only for what is missing.
set -eu

PACKAGES="
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  libgmp-dev zlib1g-dev
  libhdf5-dev
  libprotobuf-c-dev protobuf-c-compiler libonnx-dev
  libcjson-dev libyaml-dev
  libopenblas-dev libomp-dev
  libcurl4-openssl-dev nettle-dev
  libplplot-dev plplot-driver-cairo libcairo2-dev
  libzip-dev
  libcmocka-dev
  yosys verilator iverilog
  tcl
  python3 python3-dev python3-venv python3-numpy python3-h5py python3-setuptools python3-pip python3-wheel python3-pytest
  jupyter-nbconvert python3-ipykernel python3-matplotlib
"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: run as root to install:$missing" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-deps: installing:$missing" >&2
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing

"""Builds nnfirm._core, the CPython extension over libnnfirm.so.

The library comes from the repository's CMake build: NNFIRM_BUILD_DIR (the
directory holding libnnfirm.so and the nnfirm executable) or, by default,
<repository>/build, the directory the README's build command makes. The
extension records that directory as its run path, so the installed package
keeps using that build (rebuild the library there, and the package sees the
change without reinstalling unless the public headers changed).
"""
import hashlib
import os
import sys

import numpy
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class always_build_ext(build_ext):
    """Recompiles every time: the object's freshness check looks at the
    source only, not at NNFIRM_BUILD_DIR or the library's headers, and the
    extension reads library structs, so it must match the headers of the
    libnnfirm.so it loads."""

    def finalize_options(self):
        super().finalize_options()
        self.force = True

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BUILD = os.path.abspath(os.environ.get("NNFIRM_BUILD_DIR") or os.path.join(REPO, "build"))
LIB = os.path.join(BUILD, "libnnfirm.so")

if not os.path.exists(LIB) and not any(a in sys.argv for a in ("egg_info", "dist_info", "sdist")):
    sys.exit(
        f"nnfirm: {LIB} not found. Build the library first "
        "(cmake -S . -B build -G Ninja && cmake --build build, from the repository root), "
        "or point NNFIRM_BUILD_DIR at a build directory holding libnnfirm.so."
    )


def abi_id(directory):
    """The identity of the public headers in directory, as cmake/abi-id.cmake
    computes it for the library (nf_abi_id): the SHA-256 of the lines
    "<file name> <SHA-256 of its bytes>\n", one per file in sorted order."""
    lines = ""
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                lines += f"{name} {hashlib.sha256(f.read()).hexdigest()}\n"
    return hashlib.sha256(lines.encode()).hexdigest()


HEADERS = os.path.join(REPO, "include", "nnfirm")

# The library must be built from the headers the extension is compiled
# against (the extension checks again at import, against the library it loads).
GENERATED = os.path.join(BUILD, "src", "abi", "nf_abi_id.h")
if os.path.exists(LIB) and os.path.exists(GENERATED):
    with open(GENERATED, encoding="utf-8") as f:
        built = f.read()
    if f'"{abi_id(HEADERS)}"' not in built:
        sys.exit(
            f"nnfirm: {LIB} was built from other headers than {HEADERS} holds now. Rebuild the library "
            f"(cmake --build {BUILD}), then install again."
        )

core = Extension(
    "nnfirm._core",
    sources=["src/_core.c"],
    include_dirs=[os.path.join(REPO, "include"), numpy.get_include()],
    library_dirs=[BUILD],
    libraries=["nnfirm"],
    runtime_library_dirs=[BUILD],
    define_macros=[
        ("NNFIRM_BUILD_DIR", '"%s"' % BUILD),
        ("NNFIRM_SOURCE_DIR", '"%s"' % REPO),
        ("NNFIRM_ABI_ID", '"%s"' % abi_id(HEADERS)),
    ],
    extra_compile_args=["-std=c11", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter",
                        "-Wno-missing-field-initializers"],
)

setup(packages=["nnfirm"], ext_modules=[core], cmdclass={"build_ext": always_build_ext})

"""Builds nnfirm._core, the CPython extension over libnnfirm.so.

The library comes from the repository's CMake build: NNFIRM_BUILD_DIR (the
directory holding libnnfirm.so and the nnfirm executable) or, by default,
<repository>/build, the directory the README's build command makes. The
extension records that directory as its run path, so the installed package
keeps using that build (rebuild the library there, and the package sees the
change without reinstalling unless the public headers changed).
"""
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
    ],
    extra_compile_args=["-std=c11", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter",
                        "-Wno-missing-field-initializers"],
)

setup(packages=["nnfirm"], ext_modules=[core], cmdclass={"build_ext": always_build_ext})

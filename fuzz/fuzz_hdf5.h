/* For the harnesses of HDF5 inputs: every HDF5 object nnfirm opened must be
 * closed again when its reader returns (an identifier left open keeps the
 * file and its metadata alive). An input that leaves one open aborts, and
 * is reported as nnfirm's fault. */
#ifndef NNFIRM_FUZZ_HDF5_H
#define NNFIRM_FUZZ_HDF5_H

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>

static inline void fuzz_hdf5_all_closed(void) {
  ssize_t n = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
  if (n > 0) {
    fprintf(stderr, "nnfirm left %zd HDF5 object(s) open\n", n);
    abort();
  }
}

#endif

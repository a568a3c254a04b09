/* Published designs for the course competition's task: the hls4ml jet
 * tagger (16 features, 5 classes) on the real hls4ml LHC jet data set, each
 * synthesized by its authors with Vivado for a Virtex UltraScale+ VU9P. The
 * figures are the ones issue 17 tabulates from these publications (accuracy,
 * LUT and FF as the authors report them; not re-measured here):
 *   HGQ-3, HGQ-4: C. Sun et al., "Gradient-based automatic mixed precision
 *     quantization for neural networks on-chip" (HGQ), arXiv:2405.00645;
 *   DWN: A. T. L. Bacellar et al., "Differentiable Weightless Neural
 *     Networks", ICML 2024, arXiv:2410.11112;
 *   PolyLUT-Add: B. Lou et al., FPL 2024, arXiv:2406.04910;
 *   hls4ml's float-trained baseline as those papers compare against it.
 * They are drawn beside nnfirm's own candidates, which are measured on
 * synthetic jets with Yosys: a different data set and a different flow. */
#include <math.h>

#include "nnfirm/search.h"
#include "nnfirm/synth.h"

const nf_published_design *nf_published_designs(int *n) {
  /* VU9P: 1,182,240 LUTs, 2,364,480 flip-flops (src/synth/devices.c). */
  static nf_published_design table[5];
  static bool filled = false;
  if (!filled) {
    const nf_device *d = nf_device_find("xcvu9p");
    double luts = d ? (double)d->luts : 1182240.0, ffs = d ? (double)d->ffs : 2364480.0;
    nf_published_design t[5] = {
        {"HGQ-3", "arXiv:2405.00645", 0.750, 0.13, NAN, 0.07},
        {"HGQ-4", "arXiv:2405.00645", 0.739, 0.05, NAN, 0},
        {"DWN", "arXiv:2410.11112", 0.737, 100.0 * 134 / luts, 100.0 * 106 / ffs, 0},
        {"PolyLUT-Add", "arXiv:2406.04910", 0.72, 100.0 * 895 / luts, 100.0 * 189 / ffs, 0},
        {"hls4ml baseline", "arXiv:2405.00645", 0.744, 4.09, NAN, 56},
    };
    for (int i = 0; i < 5; i++) table[i] = t[i];
    filled = true;
  }
  *n = 5;
  return table;
}

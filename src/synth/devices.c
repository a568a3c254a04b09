/* Target device capacities. Figures from the AMD/Xilinx data sheets: DS923
 * (Virtex UltraScale+ FPGA Data Sheet / product tables: CLB LUTs, CLB
 * flip-flops, DSP slices, 36 Kb block RAMs), DS890 (UltraScale Architecture
 * and Product Overview) for Kintex UltraScale, DS891 for Zynq UltraScale+.
 * vivado_part: a package and speed grade of that device as published designs
 * use it (the VCU118 board's VU9P, Alveo U250, the ZCU102's ZU9EG; VU13P as in
 * hls4ml's default part), used only when a project's Part names no package. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "nnfirm/synth.h"

static const nf_device DEVICES[] = {
    {"xcvu9p", "xcup", 1182240, 2364480, 6840, 2160, "DS923 Virtex UltraScale+ product table", "xcvu9p-flga2104-2L-e"},
    {"xcvu13p", "xcup", 1728000, 3456000, 12288, 2688, "DS923 Virtex UltraScale+ product table", "xcvu13p-flga2577-2-e"},
    {"xcvu7p", "xcup", 788160, 1576320, 4560, 1440, "DS923 Virtex UltraScale+ product table", "xcvu7p-flvb2104-1-e"},
    {"xcu250", "xcup", 1728000, 3456000, 12288, 2688, "Alveo U250 (a VU13P-class device), DS962", "xcu250-figd2104-2L-e"},
    {"xcku115", "xcu", 663360, 1326720, 5520, 2160, "DS890 Kintex UltraScale product table", "xcku115-flvb2104-2-e"},
    {"xczu9eg", "xcup", 274080, 548160, 2520, 912, "DS891 Zynq UltraScale+ MPSoC product table", "xczu9eg-ffvb1156-2-e"},
    {NULL, NULL, 0, 0, 0, 0, NULL, NULL},
};

const nf_device *nf_device_table(void) { return DEVICES; }

const nf_device *nf_device_find(const char *part) {
  if (!part) return NULL;
  char norm[64];
  size_t n = 0;
  /* "VU9P" → "xcvu9p"; "xcvu9p-flga2104-2L-e" → "xcvu9p" */
  if (strncasecmp(part, "xc", 2) != 0) n = (size_t)snprintf(norm, sizeof norm, "xc");
  for (const char *p = part; *p && *p != '-' && n + 1 < sizeof norm; p++) norm[n++] = (char)tolower((unsigned char)*p);
  norm[n] = '\0';
  for (const nf_device *d = DEVICES; d->name; d++)
    if (!strcmp(norm, d->name)) return d;
  return NULL;
}

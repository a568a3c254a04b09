/* libFuzzer: the vendor report reader (Vivado utilization / timing summary,
 * Quartus fit / sta summary) on arbitrary bytes. A form feed splits the input
 * into the utilization text and a timing text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nnfirm/synth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  char *timing = strchr(text, '\f');
  if (timing) *timing++ = '\0';
  nf_vendor_report rep;
  nf_error err = {0};
  if (nf_vendor_report_parse(text, "fuzz.rpt", timing, "fuzz.timing", 5.0, &rep, &err) == NF_OK) {
    char *json = nf_vendor_report_json(&rep, 3);
    free(json);
  }
  free(text);
  return 0;
}

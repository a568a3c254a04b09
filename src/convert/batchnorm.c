/* BatchNormalization in the design pass: folded into the Dense before it
 * (dense.c); one that follows anything else has no design of its own yet. */
#include "convert_internal.h"

const nf_convert_layer_ops nf_convert_batchnorm_ops = {
    .refusal = "a BatchNormalization that does not follow a Dense cannot be folded (not supported)",
};

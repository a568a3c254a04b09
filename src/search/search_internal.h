/* The search stage's own helpers (not part of nnfirm/search.h). */
#ifndef NNFIRM_SEARCH_INTERNAL_H
#define NNFIRM_SEARCH_INTERNAL_H

#include "nnfirm/search.h"

/* Runs `nnfirm search --candidate` children for c[0..n) into
 * o->dir/<sub>/<id>, o->jobs at a time, starting new ones only while
 * nf_now() - o->t0 < until_s. */
int nf_search_run_children(const nf_search_opts *o, const char *sub, const nf_search_candidate *c, int n,
                           double until_s, nf_search_phase phase, nf_error *err);

#endif

/* nnfirm command-line front-ends: shared conventions (SPEC §5).
 *
 * Each command lives in cli/cmd_<name>.c as `int cmd_<name>(int argc, char **argv)`
 * and is listed in cli/commands.def. Commands are thin: parse options, call
 * the library, print. Exit codes: 0 ok, 1 internal failure, 2 bad input/usage.
 */
#ifndef NNFIRM_CLI_H
#define NNFIRM_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include "nnfirm/error.h"

#define CMD(name, summary) int cmd_##name(int argc, char **argv);
#include "commands.def"
#undef CMD

/* A model's compression as nnfirm train and eval print it (cli/print_model.c). */
struct cJSON;
struct nf_model;
struct cJSON *train_sparsity_json(const struct nf_model *m);
/* Layer -> mean bits of its nonzero quantized weights (nf_layer_mean_weight_bits). */
struct cJSON *train_weight_bits_json(const struct nf_model *m);
void train_print_sparsity(const struct nf_model *m);
/* "activation bits: ..." when the model has per-neuron activation types. */
void train_print_act_bits(const struct nf_model *m);
/* nnfirm train --json: the final metrics, compression and history as one object. */
struct nf_train_job_result;
void train_print_json(const char *out_path, const struct nf_train_job_result *jr);

/* Prints "nnfirm <cmd>: <msg>" to stderr and returns the error's code. */
int cli_report(const char *cmd, const nf_error *err);
/* Usage error: prints the message and a hint to --help; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* opt's value s as a number in [lo, hi]; else a usage error, its status in
 * *status, and false. */
bool cli_parse_num(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out, int *status);

/* True when argv holds -h/--help anywhere before a "--". */
bool cli_wants_help(int argc, char **argv);

#endif

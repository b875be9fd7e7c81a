/* A small trained bundle for command tests: a synthetic kaggle-layout
 * file, its table, a quickly trained model saved next to it, and two
 * scratch files for a command's output. */
#ifndef NS_TEST_MODEL_FIXTURE_H
#define NS_TEST_MODEL_FIXTURE_H

#include <stdio.h>
#include <unistd.h>

#include "model/bundle.h"
#include "model/train.h"
#include "support/synth.h"

struct model_fixture {
    char csv[64], model[64], out[64], errf[64];
    struct schema *s;
    struct table *t;
    struct train_result res;
};

/* Files are named /tmp/ns_<tag>_<pid>.*; returns 0, or -1 on failure. */
static inline int model_fixture_setup(struct model_fixture *f,
                                      const char *tag, int rows,
                                      uint64_t seed)
{
    struct table_load_opts lo = {.schema_name = "kaggle-noshow",
                                 .need_label = true};
    struct clean_report rep = {0};
    struct train_opts o;
    int pid = getpid();

    snprintf(f->csv, sizeof(f->csv), "/tmp/ns_%s_%d.csv", tag, pid);
    snprintf(f->model, sizeof(f->model), "/tmp/ns_%s_%d.json", tag, pid);
    snprintf(f->out, sizeof(f->out), "/tmp/ns_%s_%d.out", tag, pid);
    snprintf(f->errf, sizeof(f->errf), "/tmp/ns_%s_%d.err", tag, pid);
    if (synth_write(f->csv, rows, seed, 0) != 0 ||
        table_load_csv(f->csv, NULL, &lo, &f->t, &f->s, &rep, NULL))
        return -1;
    train_opts_default(&o);
    o.xgb.n_trees = 20;
    o.xgb.nthread = 1;
    if (train_run(f->t, &o, &f->res, NULL) != NS_OK)
        return -1;
    return bundle_save(f->res.bundle, f->model, NULL) == NS_OK ? 0 : -1;
}

static inline void model_fixture_teardown(struct model_fixture *f)
{
    unlink(f->csv);
    unlink(f->model);
    unlink(f->out);
    unlink(f->errf);
    train_result_free(&f->res);
    table_free(f->t);
    schema_free(f->s);
}

#endif

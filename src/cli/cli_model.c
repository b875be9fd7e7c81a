#include "cli/cli_model.h"

#include <string.h>
#include <sys/stat.h>

#include "data/clean.h"

enum ns_err cli_load_labelled(const char *path, const char *schema_arg,
                              const struct schema *schema_in,
                              const char *rejects, bool need_label,
                              struct table **out,
                              struct schema **schema_out,
                              struct ns_error *err)
{
    struct table_load_opts o = {0};
    struct clean_report rep = {0};
    struct stat st;
    size_t bad;
    enum ns_err rc;

    if (schema_arg && stat(schema_arg, &st) == 0)
        o.schema_path = schema_arg;
    else
        o.schema_name = schema_arg;
    o.rejects_path = rejects;
    o.need_label = need_label;
    o.dedup = true;
    rc = table_load_csv(path, schema_in, &o, out, schema_out, &rep, err);
    if (rc != NS_OK)
        return rc;
    bad = rep.dropped[CLEAN_BAD_LABEL];
    if (bad > 0 && bad == rep.rows_read) {
        table_free(*out);
        *out = NULL;
        if (schema_out) {
            schema_free(*schema_out);
            *schema_out = NULL;
        }
        return ns_error_set(err, NS_ERR_INVALID, "%s: every one of the %zu "
                            "rows has a label spelled neither as the "
                            "schema's positive nor its negative values; "
                            "check the target column or the schema", path,
                            rep.rows_read);
    }
    if (rep.rows_kept != rep.rows_read) {
        fprintf(stderr, "noshow: %s: ", path);
        clean_report_print(&rep, stderr);
    }
    if (bad > 0)
        fprintf(stderr, "noshow: %s: %zu rows with an unexpected label "
                "spelling were dropped%s\n", path, bad,
                rejects ? "" : " (--rejects FILE lists them)");
    return NS_OK;
}

void cli_print_metrics(FILE *f, const struct metrics_report *m)
{
    const struct metrics_confusion *c = &m->confusion;

    fprintf(f, "  rows            %zu (no-shows %zu, observed rate "
            "%.4f)\n", m->rows, m->positives, m->observed_rate);
    fprintf(f, "  ROC AUC         %.4f\n", m->auc);
    fprintf(f, "  PR AUC          %.4f\n", m->pr_auc);
    fprintf(f, "  Brier           %.5f\n", m->brier);
    fprintf(f, "  log loss        %.5f\n", m->log_loss);
    fprintf(f, "  mean predicted  %.4f\n", m->mean_predicted);
    fprintf(f, "  threshold       %.4f\n", m->threshold);
    fprintf(f, "  accuracy        %.4f\n", m->accuracy);
    fprintf(f, "  precision       %.4f\n", m->precision);
    fprintf(f, "  recall          %.4f\n", m->recall);
    fprintf(f, "  F1              %.4f\n", m->f1);
    fprintf(f, "  confusion       tp %zu  fp %zu  tn %zu  fn %zu\n", c->tp,
            c->fp, c->tn, c->fn);
}

enum ns_err cli_metrics_into(json_t *obj, const struct metrics_report *m,
                             struct ns_error *err)
{
    json_t *j = NULL;
    enum ns_err rc = metrics_to_json(m, &j, err);

    if (rc != NS_OK)
        return rc;
    if (json_object_update(obj, j) != 0)
        rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    json_decref(j);
    return rc;
}

void cli_print_json(const json_t *obj)
{
    json_dumpf(obj, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    fputc('\n', stdout);
}

static enum ns_err add_rows(struct history_index *h, const struct table *t,
                            struct ns_error *err)
{
    for (size_t i = 0; i < t->nrows; i++) {
        enum ns_err rc = history_index_add(h, table_str(t, t->patient[i]),
                                           t->booked_at[i], t->appt_day[i],
                                           t->label[i]);

        if (rc != NS_OK)
            return ns_error_set(err, rc, "line %ld: cannot index the "
                                "row's history (%s)", t->line[i],
                                ns_err_str(rc));
    }
    return NS_OK;
}

enum ns_err cli_build_history(const struct pipeline *p,
                              const struct schema *s, const char *past,
                              const struct table *t,
                              struct history_index **out,
                              struct ns_error *err)
{
    struct table *pt = NULL;
    enum ns_err rc;

    *out = NULL;
    if (!pipeline_uses_history(p))
        return NS_OK;
    if (past == NULL)
        return history_index_from_table(t, out, err);
    rc = cli_load_labelled(past, NULL, s, NULL, false, &pt,
                           NULL, err);
    if (rc != NS_OK)
        return rc;
    *out = history_index_new();
    if (*out == NULL)
        rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    if (rc == NS_OK)
        rc = add_rows(*out, pt, err);
    if (rc == NS_OK)
        rc = add_rows(*out, t, err);
    if (rc == NS_OK && history_index_finish(*out) != NS_OK)
        rc = ns_error_set(err, NS_ERR_NOMEM, "history index: out of "
                          "memory while sorting");
    table_free(pt);
    return rc;
}

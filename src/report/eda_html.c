#include "report/eda_html.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "report/eda_assets.h"
#include "util/timeutil.h"

/* Rate charts with more bars than this take a whole row. */
#define WIDE_GROUPS 8

static const char style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;"
    "max-width:1240px;padding:0 16px 40px;color:#222}"
    "h1{font-size:22px;margin:18px 0 4px}"
    "h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ccc}"
    "nav a{margin-right:12px}"
    "table{border-collapse:collapse;font-size:12px;margin:6px 0}"
    "th,td{border:1px solid #ddd;padding:3px 6px;text-align:right;"
    "white-space:nowrap}"
    "th{background:#f3f3f3}"
    "td.t,th.t{text-align:left}"
    "td.top{white-space:normal;min-width:180px}"
    ".grid{display:grid;grid-template-columns:repeat(3,1fr);gap:12px}"
    ".card{border:1px solid #ddd;border-radius:4px;padding:6px}"
    ".card.wide{grid-column:1/-1}"
    ".card h3{font-size:13px;margin:0 0 4px}"
    ".chart{position:relative;height:200px}"
    ".wide .chart{height:260px}"
    ".heat td{width:52px;text-align:center}"
    ".muted{color:#666}"
    ".scroll{overflow-x:auto}"
    ".rj td{white-space:normal;min-width:60px;max-width:360px}";

/* Builds every chart from the JSON block; bars of a rate chart are the
 * no-show rate of each group, the dashed line the overall rate. */
static const char chart_code[] =
    "(function(){\n"
    "var d=JSON.parse(document.getElementById('eda-data').textContent);\n"
    "Chart.defaults.animation=false;\n"
    "Chart.defaults.font.size=11;\n"
    "function pc(v){return v===null?null:Math.round(1000*v)/10;}\n"
    "function hist(c){return {type:'bar',data:{labels:c.labels,"
    "datasets:[{label:'rows',data:c.n,backgroundColor:'#4e79a7',"
    "barPercentage:1,categoryPercentage:0.95}]},options:{"
    "maintainAspectRatio:false,plugins:{legend:{display:false}},"
    "scales:{y:{beginAtZero:true}}}};}\n"
    "function rate(c){var o=c.labels.map(function(){return pc(d.overall);});"
    "var l=c.labels.map(function(x,i){return [x,'n='+"
    "c.n[i].toLocaleString('en-US')];});"
    "return {data:{labels:l,datasets:[{type:'bar',"
    "label:'no-show rate %',data:c.rate.map(pc),"
    "backgroundColor:'#e15759'},{type:'line',label:'overall %',data:o,"
    "borderColor:'#444',borderDash:[4,4],borderWidth:1,pointRadius:0}]},"
    "options:{maintainAspectRatio:false,plugins:{legend:{display:false},"
    "tooltip:{callbacks:{afterLabel:function(x){return x.datasetIndex?'':"
    "'rows: '+c.n[x.dataIndex];}}}},scales:{y:{beginAtZero:true,"
    "title:{display:true,text:'no-show %'}}}}};}\n"
    "function balance(c){return {type:'bar',data:{labels:c.labels,"
    "datasets:[{label:'rows',data:c.n,backgroundColor:['#59a14f',"
    "'#e15759','#bab0ac']}]},options:{indexAxis:'y',"
    "maintainAspectRatio:false,plugins:{legend:{display:false}}}};}\n"
    "var make={hist:hist,rate:rate,balance:balance};\n"
    "d.charts.forEach(function(c){var el=document.getElementById(c.id);"
    "if(el)new Chart(el,make[c.kind](c));});\n"
    "})();\n";

void eda_html_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

/* A JSON string that is also safe inside a <script> element: <, > and &
 * are written as \u escapes, so data can never close the element. */
static void json_str(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");

    fputc('"', f);
    for (; *p; p++) {
        if (*p == '"' || *p == '\\') {
            fprintf(f, "\\%c", *p);
        } else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&') {
            fprintf(f, "\\u%04x", *p);
        } else if (p[0] == 0xe2 && p[1] == 0x80 &&
                   (p[2] == 0xa8 || p[2] == 0xa9)) {
            /* U+2028 and U+2029 end a line in older JavaScript. */
            fprintf(f, "\\u%s", p[2] == 0xa8 ? "2028" : "2029");
            p += 2;
        } else {
            fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void json_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.6g", v);
    else
        fputs("null", f);
}

/* 84076 -> "84,076". */
static const char *fmt_count(size_t n, char out[static 32])
{
    char raw[32];
    size_t len, o = 0;

    snprintf(raw, sizeof(raw), "%zu", n);
    len = strlen(raw);
    for (size_t i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = raw[i];
    }
    out[o] = '\0';
    return out;
}

static const char *fmt_pct(double v, char out[static 32])
{
    if (isnan(v))
        snprintf(out, 32, "n/a");
    else
        snprintf(out, 32, "%.1f%%", 100 * v);
    return out;
}

/* A statistic of column c in its own unit: dates as dates, times of day
 * as HH:MM, other numbers with four significant digits. */
static const char *fmt_value(const struct eda_column *c, double v,
                             char out[static 32])
{
    if (isnan(v)) {
        snprintf(out, 32, "-");
    } else if (c->kind == EDA_KIND_DATE) {
        ns_format_date((int32_t)floor(v), out);
    } else if (c->kind == EDA_KIND_TIME) {
        int s = (int)v;

        snprintf(out, 32, "%02d:%02d", s / 3600, s / 60 % 60);
    } else if (v == floor(v) && fabs(v) < 1e12) {
        snprintf(out, 32, "%.0f", v);
    } else {
        snprintf(out, 32, "%.4g", v);
    }
    return out;
}

static const char *role_words(enum schema_role r, int schema_col)
{
    if (schema_col < 0)
        return "derived";
    switch (r) {
    case ROLE_TARGET:
        return "target";
    case ROLE_APPT_ID:
        return "appointment id";
    case ROLE_PATIENT_ID:
        return "patient id";
    case ROLE_BOOKED_AT:
        return "booking date";
    case ROLE_APPT_DATE:
        return "appointment date";
    case ROLE_APPT_TIME:
        return "appointment time";
    case ROLE_BINARY:
        return "binary";
    case ROLE_NUMERIC:
        return "numeric";
    case ROLE_CATEGORICAL:
        return "categorical";
    default:
        return "ignored";
    }
}

static void write_head(FILE *f, const struct eda_source *src)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width\">\n"
          "<title>Data report: ", f);
    eda_html_escape(f, src->file);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n", style);
    fputs("<h1>Data report: ", f);
    eda_html_escape(f, src->file);
    fputs("</h1>\n<p class=\"muted\">schema ", f);
    eda_html_escape(f, src->schema_name);
    fputs(", generated ", f);
    eda_html_escape(f, src->generated_at);
    fputs("</p>\n<nav><a href=\"#overview\">Overview</a>"
          "<a href=\"#class-balance\">Class balance</a>"
          "<a href=\"#columns\">Columns</a>"
          "<a href=\"#histograms\">Histograms</a>"
          "<a href=\"#rate-by-category\">By category</a>"
          "<a href=\"#rate-by-lead\">By lead time</a>"
          "<a href=\"#rate-by-weekday\">By weekday</a>"
          "<a href=\"#rate-by-age\">By age</a>"
          "<a href=\"#correlation\">Correlation</a>"
          "<a href=\"#data-quality\">Data quality</a></nav>\n", f);
}

static void row_count(FILE *f, const char *what, size_t n)
{
    char b[32];

    fprintf(f, "<tr><th class=\"t\">%s</th><td>%s</td></tr>\n", what,
            fmt_count(n, b));
}

/* The span of the first column of kind k, as "from to to". */
static void write_date_span(FILE *f, const struct eda_stats *st,
                            enum schema_role role, const char *what)
{
    char a[32], b[32];

    for (size_t i = 0; i < st->ncols; i++) {
        const struct eda_column *c = &st->cols[i];

        if (c->role != role || c->schema_col < 0 || isnan(c->min))
            continue;
        fprintf(f, "<tr><th class=\"t\">%s</th><td>%s to %s</td></tr>\n",
                what, fmt_value(c, c->min, a), fmt_value(c, c->max, b));
        return;
    }
}

static void write_overview(FILE *f, const struct eda_stats *st,
                           const struct eda_source *src)
{
    char b[32];

    fputs("<section id=\"overview\">\n<h2>Overview</h2>\n<table>\n", f);
    row_count(f, "rows read", src->rows_read);
    row_count(f, "rows kept after cleaning", src->rows_kept);
    row_count(f, "rows described below", st->rows);
    for (size_t i = 0; i < st->ncols; i++) {
        if (st->cols[i].kind != EDA_KIND_LABEL)
            continue;
        fputs("<tr><th class=\"t\">outcome column</th><td class=\"t\">", f);
        eda_html_escape(f, st->cols[i].name);
        fputs(" (a positive value means: ", f);
        eda_html_escape(f, st->cols[i].label);
        fputs(")</td></tr>\n", f);
        break;
    }
    row_count(f, "rows with a known outcome", st->labelled);
    fprintf(f, "<tr><th class=\"t\">no-show rate</th><td>%s</td></tr>\n",
            fmt_pct(st->labelled ? (double)st->positive /
                                       (double)st->labelled
                                 : NAN, b));
    row_count(f, "distinct patients", st->patients);
    write_date_span(f, st, ROLE_APPT_DATE, "appointment days");
    write_date_span(f, st, ROLE_BOOKED_AT, "booking days");
    fputs("</table>\n</section>\n", f);
}

static void write_balance(FILE *f, const struct eda_stats *st)
{
    char a[32], b[32];
    size_t neg = st->labelled - st->positive;
    size_t unknown = st->rows - st->labelled;
    double n = st->rows ? (double)st->rows : NAN;

    fputs("<section id=\"class-balance\">\n<h2>Class balance</h2>\n"
          "<div class=\"grid\"><div class=\"card\">\n<table>\n"
          "<tr><th class=\"t\">outcome</th><th>rows</th><th>share</th>"
          "</tr>\n", f);
    fprintf(f, "<tr><td class=\"t\">show</td><td>%s</td><td>%s</td></tr>\n",
            fmt_count(neg, a), fmt_pct((double)neg / n, b));
    fprintf(f, "<tr><td class=\"t\">no-show</td><td>%s</td><td>%s</td>"
               "</tr>\n",
            fmt_count(st->positive, a), fmt_pct((double)st->positive / n, b));
    fprintf(f, "<tr><td class=\"t\">unknown</td><td>%s</td><td>%s</td>"
               "</tr>\n",
            fmt_count(unknown, a), fmt_pct((double)unknown / n, b));
    fputs("</table>\n</div><div class=\"card\"><div class=\"chart\">"
          "<canvas id=\"chart-balance\"></canvas></div></div></div>\n"
          "</section>\n", f);
}

/* The most frequent values of a column, for the summary table. */
static void write_top(FILE *f, const struct eda_column *c)
{
    char b[32];
    size_t shown = 0;

    for (size_t g = 0; g < c->ngroups && shown < 3; g++) {
        if (c->groups[g].name[0] == '(')
            continue;
        fputs(shown++ ? ", " : "", f);
        eda_html_escape(f, c->groups[g].name);
        fprintf(f, " (%s)", fmt_count(c->groups[g].n, b));
    }
}

static void write_column_row(FILE *f, const struct eda_column *c)
{
    const double stat[] = {c->min, c->q1, c->median, c->mean, c->q3,
                           c->max, c->sd};
    size_t all = c->present + c->missing;
    char a[32], b[32];

    fputs("<tr><td class=\"t\" title=\"", f);
    eda_html_escape(f, c->label);
    fputs("\">", f);
    eda_html_escape(f, c->name);
    fprintf(f, "</td><td class=\"t\">%s</td>",
            role_words(c->role, c->schema_col));
    fprintf(f, "<td>%s</td>", fmt_count(c->missing, a));
    fprintf(f, "<td>%s</td>",
            fmt_pct(all ? (double)c->missing / (double)all : NAN, b));
    fprintf(f, "<td>%s</td>", fmt_count(c->distinct, a));
    for (size_t i = 0; i < sizeof(stat) / sizeof(stat[0]); i++) {
        bool date_sd = c->kind == EDA_KIND_DATE || c->kind == EDA_KIND_TIME;

        /* The mean and spread of dates say little; leave them out. */
        if (date_sd && (i == 3 || i == 6))
            fprintf(f, "<td>-</td>");
        else
            fprintf(f, "<td>%s</td>", fmt_value(c, stat[i], a));
    }
    fputs("<td class=\"t top\">", f);
    write_top(f, c);
    fputs("</td></tr>\n", f);
}

static void write_columns(FILE *f, const struct eda_stats *st)
{
    fputs("<section id=\"columns\">\n<h2>Columns</h2>\n"
          "<div class=\"scroll\"><table>\n<tr><th class=\"t\">column</th>"
          "<th class=\"t\">role</th>"
          "<th>missing</th><th>missing %</th><th>distinct</th>"
          "<th>min</th><th>25%</th><th>median</th><th>mean</th>"
          "<th>75%</th><th>max</th><th>sd</th>"
          "<th class=\"t\">most frequent</th></tr>\n", f);
    for (size_t i = 0; i < st->ncols; i++)
        write_column_row(f, &st->cols[i]);
    fputs("</table></div>\n</section>\n", f);
}

static void card(FILE *f, const char *id, const char *title, bool wide)
{
    fprintf(f, "<div class=\"card%s\"><h3>", wide ? " wide" : "");
    eda_html_escape(f, title);
    fprintf(f, "</h3><div class=\"chart\"><canvas id=\"%s\"></canvas>"
               "</div></div>\n", id);
}

static bool has_histogram(const struct eda_column *c)
{
    return c->nbins > 0 && c->role == ROLE_NUMERIC;
}

static void write_histograms(FILE *f, const struct eda_stats *st)
{
    char id[32];

    fputs("<section id=\"histograms\">\n<h2>Histograms</h2>\n"
          "<p class=\"muted\">Numeric columns and the lead time in days "
          "(appointment day minus booking day). Binary columns are in "
          "the next section.</p>\n<div class=\"grid\">\n", f);
    for (size_t i = 0; i < st->ncols; i++) {
        if (!has_histogram(&st->cols[i]))
            continue;
        snprintf(id, sizeof(id), "hist-%zu", i);
        card(f, id, st->cols[i].name, false);
    }
    fputs("</div>\n</section>\n", f);
}

static void write_category_rates(FILE *f, const struct eda_stats *st)
{
    char id[32];

    fputs("<section id=\"rate-by-category\">\n"
          "<h2>No-show rate by category</h2>\n<p class=\"muted\">Bars: "
          "no-show rate of each value (n: its rows); dashed line: "
          "overall rate. Categorical columns show their ", f);
    fprintf(f, "%d most frequent values.</p>\n<div class=\"grid\">\n",
            EDA_TOP_CATEGORIES);
    /* Narrow cards first, so that a wide one does not leave holes in
     * the grid. */
    for (int wide = 0; wide < 2; wide++) {
        for (size_t i = 0; i < st->ncols; i++) {
            const struct eda_column *c = &st->cols[i];

            if (c->ngroups == 0 || (c->ngroups > WIDE_GROUPS) != wide)
                continue;
            snprintf(id, sizeof(id), "rate-%zu", i);
            card(f, id, c->name, wide);
        }
    }
    fputs("</div>\n</section>\n", f);
}

typedef const char *(*group_name_fn)(int i);

/* A chart and a table of fixed groups (lead buckets, weekdays, bands). */
static void write_fixed(FILE *f, const char *id, const char *title,
                        const char *note, const struct eda_group *g,
                        int n, group_name_fn name)
{
    char a[32], b[32], c[32];

    fprintf(f, "<section id=\"%s\">\n<h2>", id);
    eda_html_escape(f, title);
    fputs("</h2>\n<p class=\"muted\">", f);
    eda_html_escape(f, note);
    fputs("</p>\n<div class=\"grid\"><div class=\"card\"><table>\n"
          "<tr><th class=\"t\">group</th><th>rows</th><th>no-shows</th>"
          "<th>rate</th></tr>\n", f);
    for (int i = 0; i < n; i++) {
        fputs("<tr><td class=\"t\">", f);
        eda_html_escape(f, name(i));
        fprintf(f, "</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                fmt_count(g[i].n, a), fmt_count(g[i].positive, b),
                fmt_pct(eda_group_rate(&g[i]), c));
    }
    fprintf(f, "</table></div><div class=\"card wide\" "
               "style=\"grid-column:2/4\"><div class=\"chart\">"
               "<canvas id=\"chart-%s\"></canvas></div></div></div>\n"
               "</section>\n", id);
}

static void write_fixed_sections(FILE *f, const struct eda_stats *st)
{
    char note[256], a[32], b[32];

    snprintf(note, sizeof(note), "Days from booking to appointment; "
             "same-day bookings have lead 0. Rows without both dates: %s; "
             "booked after the appointment: %s.",
             fmt_count(st->lead_unknown, a), fmt_count(st->lead_negative, b));
    write_fixed(f, "rate-by-lead", "No-show rate by lead time", note,
                st->lead, EDA_NLEAD_BUCKETS, eda_lead_bucket_name);
    write_fixed(f, "rate-by-weekday", "No-show rate by weekday",
                "Weekday of the appointment.", st->weekday, EDA_NWEEKDAYS,
                eda_weekday_name);
    if (st->age_col >= 0)
        snprintf(note, sizeof(note), "Age in years from column '%s'.",
                 st->cols[st->age_col].name);
    else
        snprintf(note, sizeof(note), "The schema has no age column.");
    write_fixed(f, "rate-by-age", "No-show rate by age band", note, st->age,
                EDA_NAGE_BANDS, eda_age_band_name);
}

/* White for 0, deepening to red for +1 and to blue for -1; the diagonal
 * in grey, as it says nothing. */
static void heat_cell(FILE *f, double r, bool diagonal)
{
    int fade;

    if (isnan(r)) {
        fputs("<td style=\"background:#eee\">n/a</td>", f);
        return;
    }
    if (diagonal) {
        fputs("<td style=\"background:#ddd\">1</td>", f);
        return;
    }
    if (fabs(r) < 0.005)
        r = 0;      /* printed as 0.00, without a sign */
    fade = (int)lround(255 * (1 - fabs(r)));
    fprintf(f, "<td style=\"background:rgb(%d,%d,%d);color:%s\">%.2f</td>",
            r > 0 ? 255 : fade, fade, r > 0 ? fade : 255,
            fabs(r) > 0.6 ? "#fff" : "#000", r);
}

static void write_corr(FILE *f, const struct eda_stats *st)
{
    size_t k = st->ncorr;

    fputs("<section id=\"correlation\">\n<h2>Correlation</h2>\n"
          "<p class=\"muted\">Pearson correlation of numeric and binary "
          "columns, lead days and the no-show label, over the rows where "
          "both values are present. Red: positive, blue: negative.</p>\n"
          "<div class=\"scroll\"><table class=\"heat\">\n<tr><th></th>", f);
    for (size_t j = 0; j < k; j++) {
        fputs("<th>", f);
        eda_html_escape(f, eda_corr_name(st, j));
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (size_t i = 0; i < k; i++) {
        fputs("<tr><th class=\"t\">", f);
        eda_html_escape(f, eda_corr_name(st, i));
        fputs("</th>", f);
        for (size_t j = 0; j < k; j++)
            heat_cell(f, st->corr[i * k + j], i == j);
        fputs("</tr>\n", f);
    }
    fputs("</table></div>\n</section>\n", f);
}

/* Cell j of the row, or of the header when row is NULL. */
static const char *reject_cell(const struct eda_source *src,
                               const size_t *row, size_t j)
{
    if (row == NULL)
        return src->reject_header[j];
    return src->reject_cells[*row * src->nfields + j];
}

/* One row of the sample with the reject_* columns (line, reason,
 * detail) first: they are what the reader looks for. */
static void write_reject_row(FILE *f, const struct eda_source *src,
                             const size_t *row)
{
    const char *cell = row ? "td" : "th";

    fputs("<tr>", f);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t j = 0; j < src->nfields; j++) {
            bool why = strncmp(src->reject_header[j], "reject_", 7) == 0;

            if (why != (pass == 0))
                continue;
            fprintf(f, "<%s class=\"t\">", cell);
            eda_html_escape(f, reject_cell(src, row, j));
            fprintf(f, "</%s>", cell);
        }
    }
    fputs("</tr>\n", f);
}

static void write_reject_rows(FILE *f, const struct eda_source *src)
{
    if (src->nrejects == 0 || src->nfields == 0) {
        fputs("<p>No rejected rows to show.</p>\n", f);
        return;
    }
    fprintf(f, "<h3>First %zu rejected rows</h3>\n<div class=\"scroll\">"
               "<table class=\"rj\">\n", src->nrejects);
    write_reject_row(f, src, NULL);
    for (size_t i = 0; i < src->nrejects; i++)
        write_reject_row(f, src, &i);
    fputs("</table></div>\n", f);
}

static void write_quality(FILE *f, const struct eda_stats *st,
                          const struct eda_source *src)
{
    size_t dropped = src->rows_read - src->rows_kept;

    fputs("<section id=\"data-quality\">\n<h2>Data quality: duplicates "
          "and rejected rows</h2>\n<table>\n", f);
    row_count(f, "rows read", src->rows_read);
    row_count(f, "rows kept", src->rows_kept);
    row_count(f, "rows dropped", src->rows_read >= src->rows_kept ? dropped
                                                                 : 0);
    for (size_t i = 0; i < src->nreasons; i++) {
        char what[96];

        snprintf(what, sizeof(what), "&nbsp;&nbsp;dropped: %s",
                 src->reasons[i].key);
        row_count(f, what, src->reasons[i].count);
    }
    row_count(f, "kept rows repeating an appointment id",
              st->repeat_appt_ids);
    fprintf(f, "</table>\n<p class=\"muted\">Exact duplicate rows were "
               "%s.</p>\n", src->dedup ? "dropped (counted above)"
                                       : "kept (not checked)");
    write_reject_rows(f, src);
    fputs("</section>\n", f);
}

static void json_counts(FILE *f, const char *key, const size_t *n,
                        size_t len)
{
    fprintf(f, ",\"%s\":[", key);
    for (size_t i = 0; i < len; i++)
        fprintf(f, "%s%zu", i ? "," : "", n[i]);
    fputc(']', f);
}

static void json_hist(FILE *f, const struct eda_column *c, size_t idx)
{
    char a[32], b[32], label[80];

    fprintf(f, "{\"id\":\"hist-%zu\",\"kind\":\"hist\",\"labels\":[", idx);
    for (size_t i = 0; i < c->nbins; i++) {
        double lo = c->edges[i], hi = c->edges[i + 1];

        if (c->tail_bin && i + 1 == c->nbins)
            snprintf(label, sizeof(label), ">=%s", fmt_value(c, lo, a));
        else if (c->integer_bins && hi - lo <= 1)
            snprintf(label, sizeof(label), "%.0f", lo);
        else if (c->integer_bins)
            snprintf(label, sizeof(label), "%.0f-%.0f", lo, hi - 1);
        else
            snprintf(label, sizeof(label), "%s-%s", fmt_value(c, lo, a),
                     fmt_value(c, hi, b));
        fputs(i ? "," : "", f);
        json_str(f, label);
    }
    fputc(']', f);
    json_counts(f, "n", c->counts, c->nbins);
    fputc('}', f);
}

/* A rate chart; names come from the groups or, when NULL there, from
 * name(i). */
static void json_rate(FILE *f, const char *id, const struct eda_group *g,
                      size_t n, group_name_fn name)
{
    fprintf(f, "{\"id\":\"%s\",\"kind\":\"rate\",\"labels\":[", id);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? "," : "", f);
        json_str(f, g[i].name ? g[i].name : name((int)i));
    }
    fputs("],\"n\":[", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%zu", i ? "," : "", g[i].n);
    fputs("],\"rate\":[", f);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? "," : "", f);
        json_num(f, eda_group_rate(&g[i]));
    }
    fputs("]}", f);
}

static void write_data(FILE *f, const struct eda_stats *st)
{
    size_t bal[3] = {st->labelled - st->positive, st->positive,
                     st->rows - st->labelled};
    char id[32];

    fputs("<script type=\"application/json\" id=\"eda-data\">\n"
          "{\"overall\":", f);
    json_num(f, st->labelled ? (double)st->positive / (double)st->labelled
                             : NAN);
    fputs(",\"charts\":[\n{\"id\":\"chart-balance\",\"kind\":\"balance\","
          "\"labels\":[\"show\",\"no-show\",\"unknown\"]", f);
    json_counts(f, "n", bal, 3);
    fputs("}", f);
    for (size_t i = 0; i < st->ncols; i++) {
        const struct eda_column *c = &st->cols[i];

        if (has_histogram(c)) {
            fputs(",\n", f);
            json_hist(f, c, i);
        }
        if (c->ngroups > 0) {
            snprintf(id, sizeof(id), "rate-%zu", i);
            fputs(",\n", f);
            json_rate(f, id, c->groups, c->ngroups, NULL);
        }
    }
    fputs(",\n", f);
    json_rate(f, "chart-rate-by-lead", st->lead, EDA_NLEAD_BUCKETS,
              eda_lead_bucket_name);
    fputs(",\n", f);
    json_rate(f, "chart-rate-by-weekday", st->weekday, EDA_NWEEKDAYS,
              eda_weekday_name);
    fputs(",\n", f);
    json_rate(f, "chart-rate-by-age", st->age, EDA_NAGE_BANDS,
              eda_age_band_name);
    fputs("\n]}\n</script>\n", f);
}

/* The embedded library must not contain the text that ends a script
 * element, or the page would break where it appears. */
static bool script_safe(const unsigned char *js, size_t len)
{
    const char *s = (const char *)js;

    for (size_t i = 0; i + 8 <= len; i++) {
        if (s[i] == '<' && strncasecmp(s + i, "</script", 8) == 0)
            return false;
    }
    return true;
}

enum ns_err eda_html_write(FILE *f, const struct eda_stats *st,
                           const struct eda_source *src,
                           struct ns_error *err)
{
    int e;

    if (!st->finished)
        return ns_error_set(err, NS_ERR_INVALID,
                            "eda: statistics not finished; expected "
                            "eda_stats_finish before writing the report");
    if (!script_safe(eda_chartjs, eda_chartjs_len))
        return ns_error_set(err, NS_ERR_INVALID,
                            "eda: the embedded chart library contains "
                            "'</script'; expected code that can be "
                            "inlined in an HTML page");
    write_head(f, src);
    write_overview(f, st, src);
    write_balance(f, st);
    write_columns(f, st);
    write_histograms(f, st);
    write_category_rates(f, st);
    write_fixed_sections(f, st);
    write_corr(f, st);
    write_quality(f, st, src);
    write_data(f, st);
    fputs("<script>\n", f);
    fwrite(eda_chartjs, 1, eda_chartjs_len, f);
    fprintf(f, "\n</script>\n<script>\n%s</script>\n</body>\n</html>\n",
            chart_code);
    if (fflush(f) != 0 || ferror(f)) {
        e = errno;
        return ns_error_set(err, NS_ERR_IO, "eda: writing the report "
                            "failed: %s", strerror(e));
    }
    return NS_OK;
}

enum ns_err eda_html_write_file(const char *path, const struct eda_stats *st,
                                const struct eda_source *src,
                                struct ns_error *err)
{
    FILE *f = fopen(path, "w");
    enum ns_err rc;
    int e;

    if (f == NULL) {
        e = errno;
        return ns_error_set(err, NS_ERR_IO, "%s: cannot create the report: "
                            "%s", path, strerror(e));
    }
    rc = eda_html_write(f, st, src, err);
    if (rc != NS_OK)
        ns_error_prefix(err, "%s", path);
    if (fclose(f) != 0 && rc == NS_OK) {
        e = errno;
        rc = ns_error_set(err, NS_ERR_IO, "%s: closing the report failed: "
                          "%s", path, strerror(e));
    }
    return rc;
}

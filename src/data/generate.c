/* The generating model lives here; docs/generated-data.md states the same
 * coefficients in prose and must be changed with them.
 *
 * LIMITATION: the draws go through log, exp, sqrt and cos of the C
 * library, so a library that rounds one of them differently in the last
 * bit can, rarely, change a row for the same seed. Same-library runs are
 * byte-identical. Identical output everywhere needs integer-only draws or
 * our own correctly rounded functions. */
#include "data/generate.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/timeutil.h"

/* Intercept chosen so the overall missed rate is about 20% with the
 * default options. */
#define B_INTERCEPT (-3.20)
#define B_LOG_LEAD 0.40         /* per unit of ln(1 + lead days) */
#define B_SAME_DAY (-1.30)
#define B_SMS (-0.50)
#define B_LOG_DISTANCE 0.30     /* per unit of ln(1 + km) */
#define B_PROPENSITY 0.80       /* per standard deviation of patient z */
#define B_RATING (-0.20)        /* per star above 3 */
#define B_WAITING 0.005         /* per minute */
#define B_SCHOLARSHIP 0.20
#define B_ALCOHOLISM 0.35
#define B_HYPERTENSION (-0.10)
#define B_DIABETES (-0.05)
#define B_DISABILITY 0.10
#define B_PREV_TREATED (-0.25)
#define B_FEE 0.003             /* per currency unit */
#define B_CONSULTATIONS (-0.03) /* per consultation in the last year */
#define B_MALE 0.05

#define NAREAS 8
#define NSPECIALTIES 10
#define NFACILITIES 3
#define WRITE_BUF (1u << 20)

struct generate {
    struct generate_opts o;
    uint64_t s[4];              /* xoshiro256** state */
    uint64_t key;               /* seeds the per-patient hash */
    uint64_t next_appt;
    int rating[NAREAS][NFACILITIES];
};

struct weighted {
    const char *name;
    double weight;              /* probability, summing to 1 per list */
    double effect;              /* log-odds */
};

const char *const generate_columns[GENERATE_NCOLUMNS] = {
    "Patient_Id", "Appointment_Id", "Appointment_Booking_Date",
    "Appointment_Date", "Appointment_Time", "Scholarship", "Hypertension",
    "Diabetes", "Alcoholism", "Disability",
    "Days_Between_Scheduling_and_Appointment", "Hospital_Area", "Specialty",
    "Facility_Type", "Distance_km", "Type_of_Care", "Previously_Treated",
    "Age", "Social_Status", "SMS_Received", "Weather_Conditions", "Gender",
    "Consultations_Last_12_Months", "Waiting_Time_Minutes",
    "Hospital_Rating", "Average_Fee", "Appointment_Status",
};

static const char *const areas[NAREAS] = {
    "North", "South", "East", "West", "Central", "Harbour", "Hills",
    "Riverside",
};

static const struct weighted facilities[NFACILITIES] = {
    {"Hospital", 0.30, 0.0},
    {"Clinic", 0.45, 0.0},
    {"Health Center", 0.25, 0.0},
};

/* Fee multiplier and extra waiting minutes per facility type. */
static const double facility_fee[NFACILITIES] = {1.3, 1.0, 0.4};
static const int facility_wait[NFACILITIES] = {10, 0, 20};

static const struct weighted specialties[NSPECIALTIES] = {
    {"General Practice", 0.30, 0.0}, {"Pediatrics", 0.10, 0.0},
    {"Gynecology", 0.10, 0.0},       {"Cardiology", 0.08, 0.0},
    {"Dermatology", 0.08, 0.0},      {"Orthopedics", 0.08, 0.0},
    {"Ophthalmology", 0.07, 0.0},    {"Psychiatry", 0.07, 0.0},
    {"Dentistry", 0.07, 0.0},        {"Radiology", 0.05, 0.0},
};

static const double specialty_fee[NSPECIALTIES] = {
    25, 30, 45, 60, 50, 55, 45, 70, 40, 80,
};

static const struct weighted cares[] = {
    {"First Visit", 0.30, 0.15},
    {"Follow-up", 0.35, -0.10},
    {"Routine Check", 0.25, 0.25},
    {"Urgent", 0.10, -0.80},
};

static const struct weighted weathers[] = {
    {"Sunny", 0.45, 0.0},
    {"Cloudy", 0.25, 0.10},
    {"Rainy", 0.22, 0.40},
    {"Stormy", 0.08, 0.80},
};

static const struct weighted socials[] = {
    {"Low", 0.35, 0.20},
    {"Middle", 0.45, 0.0},
    {"High", 0.20, -0.20},
};

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t xoshiro(uint64_t s[4])
{
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, 1) from the top 53 bits. */
static double unit(uint64_t x)
{
    return (double)(x >> 11) * 0x1.0p-53;
}

static double uni(struct generate *g)
{
    return unit(xoshiro(g->s));
}

/* Standard normal from two uniforms (Box-Muller, one output kept). */
static double normal_of(double u1, double u2)
{
    return sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);
}

static size_t pick(const struct weighted *w, size_t n, double u)
{
    double acc = 0;

    for (size_t i = 0; i + 1 < n; i++) {
        acc += w[i].weight;
        if (u < acc)
            return i;
    }
    return n - 1;
}

/* Age band effect: highest for young adults, lowest in middle age,
 * rising again for the elderly. */
static double age_effect(int age)
{
    if (age < 12)
        return 0.10;
    if (age < 18)
        return 0.30;
    if (age < 30)
        return 0.50;
    if (age < 45)
        return 0.25;
    if (age < 65)
        return 0.0;
    return 0.15;
}

static double weekday_effect(int wd)
{
    if (wd == 0)
        return 0.10;
    if (wd == 4)
        return 0.15;
    if (wd == 5)
        return -0.10;
    return 0.0;
}

void generate_opts_default(struct generate_opts *o)
{
    o->seed = 1;
    o->rows = 1000;
    o->start_day = ns_days_from_civil(2024, 1, 1);
    o->days = 365;
    o->patients = 0;
}

enum ns_err generate_new(const struct generate_opts *o,
                         struct generate **out, struct ns_error *err)
{
    struct generate *g;
    uint64_t x;
    int y, m, d;

    *out = NULL;
    if (o->days < 1)
        return ns_error_field(err, NS_ERR_INVALID, "days",
                              "days: %d is too small; expected at least 1",
                              (int)o->days);
    ns_civil_from_days(o->start_day, &y, &m, &d);
    if (y < 1900 || y > 9000)
        return ns_error_field(err, NS_ERR_INVALID, "start",
                              "start: year %d is out of range; expected "
                              "1900 to 9000", y);
    g = calloc(1, sizeof(*g));
    if (g == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    g->o = *o;
    if (g->o.patients == 0)
        g->o.patients = o->rows / 3 > 0 ? o->rows / 3 : 1;
    x = o->seed;
    for (int i = 0; i < 4; i++)
        g->s[i] = splitmix64(&x);
    g->key = splitmix64(&x);
    g->next_appt = 10000001;

    /* Each (area, facility) pair has one fixed rating: 1 to 5 stars with
     * weights 5/15/30/30/20%. */
    for (int a = 0; a < NAREAS; a++) {
        for (int f = 0; f < NFACILITIES; f++) {
            double u = unit(splitmix64(&x));

            g->rating[a][f] = u < 0.05 ? 1 : u < 0.20 ? 2 : u < 0.50 ? 3
                            : u < 0.80 ? 4 : 5;
        }
    }
    *out = g;
    return NS_OK;
}

void generate_free(struct generate *g)
{
    free(g);
}

/* The traits a patient keeps across appointments, derived from a hash of
 * the patient index so no per-patient table is needed. */
struct patient {
    double z;
    int age;
    char gender;
    int scholarship, hypertension, diabetes, alcoholism, disability;
    int home_area;
    double base_km;
    size_t social;
};

static void patient_traits(const struct generate *g, uint64_t idx,
                           struct patient *p)
{
    uint64_t x = g->key ^ (idx * 0xd1b54a32d192ed03ULL);
    double u[16];

    for (size_t i = 0; i < NELEMS(u); i++)
        u[i] = unit(splitmix64(&x));
    p->z = normal_of(u[0], u[1]);
    if (u[2] < 0.20)
        p->age = (int)(u[3] * 18);
    else
        p->age = 18 + (int)(77 * (u[3] + u[4]) / 2);
    p->gender = u[5] < 0.62 ? 'F' : 'M';
    p->scholarship = u[6] < 0.10;
    p->hypertension = u[7] < (p->age >= 40 ? 0.35 : 0.04);
    p->diabetes = u[8] < (p->age >= 40 ? 0.12 : 0.02);
    p->alcoholism = p->age >= 18 && u[9] < 0.04;
    p->disability = u[10] < 0.02;
    p->home_area = (int)(u[11] * NAREAS);
    p->base_km = fmin(60.0, exp(log(5.0) + 0.7 * normal_of(u[12], u[13])));
    p->social = p->scholarship ? 0 : pick(socials, NELEMS(socials), u[14]);
}

static int poisson(struct generate *g, double lambda, int cap)
{
    double limit = exp(-lambda);
    double prod = uni(g);
    int k = 0;

    while (prod > limit && k < cap) {
        prod *= uni(g);
        k++;
    }
    return k;
}

static int32_t draw_day(struct generate *g)
{
    int32_t day = g->o.start_day;

    /* Clinics rarely open on Sundays: redraw a Sunday a few times. */
    for (int tries = 0; tries < 4; tries++) {
        day = g->o.start_day + (int32_t)(uni(g) * g->o.days);
        if (ns_weekday(day) != 6)
            break;
    }
    return day;
}

static int draw_lead(struct generate *g, int urgent)
{
    double u = uni(g);

    if (urgent)
        return u < 0.70 ? 0 : 1;
    if (u < 0.15)
        return 0;
    return 1 + (int)fmin(179.0, -14.0 * log(1.0 - uni(g)));
}

static void draw_when(struct generate *g, struct generate_row *r)
{
    int32_t secs;

    r->appt_day = draw_day(g);
    r->appt_time = 8 * 3600 + 900 * (int32_t)(uni(g) * 44);
    r->lead_days = draw_lead(g, strcmp(r->care, "Urgent") == 0);
    if (r->lead_days == 0) {
        /* Booked the same morning, at least 10 minutes before. */
        secs = 6 * 3600 +
               (int32_t)(uni(g) * (r->appt_time - 600 - 6 * 3600));
    } else {
        secs = 7 * 3600 + (int32_t)(uni(g) * 13 * 3600);
    }
    r->booked_at = (int64_t)(r->appt_day - r->lead_days) * 86400 + secs;
    if (r->lead_days >= 2)
        r->sms = uni(g) < 0.55;
    else
        r->sms = r->lead_days == 1 && uni(g) < 0.20;
}

static size_t draw_place(struct generate *g, const struct patient *p,
                         struct generate_row *r)
{
    size_t area = (size_t)p->home_area;
    size_t fac;
    size_t spec;
    double km = p->base_km * (0.9 + 0.2 * uni(g));
    double fee;

    if (uni(g) >= 0.80) {
        area = (size_t)(uni(g) * NAREAS);
        if ((int)area != p->home_area)
            km += 10.0 + 30.0 * uni(g);
    }
    fac = pick(facilities, NFACILITIES, uni(g));
    spec = pick(specialties, NSPECIALTIES, uni(g));
    /* Pediatrics (index 1) sees children only. */
    if (p->age < 15 && uni(g) < 0.60)
        spec = 1;
    else if (p->age >= 15 && spec == 1)
        spec = 0;
    r->area = areas[area];
    r->facility = facilities[fac].name;
    r->specialty = specialties[spec].name;
    r->distance_dm = (int)lround(km * 10.0);
    r->rating = g->rating[area][fac];
    r->waiting_min = 5 + facility_wait[fac] +
                     (int)fmin(160.0, -20.0 * log(1.0 - uni(g)));
    fee = specialty_fee[spec] * facility_fee[fac] * (0.8 + 0.4 * uni(g));
    r->fee_cents = (int)lround(fee * 100.0);
    return area;
}

static size_t weather_of(const struct generate *g, int32_t day, size_t area)
{
    uint64_t x = g->key ^ ((uint64_t)(uint32_t)day * 0x9e3779b97f4a7c15ULL) ^
                 ((uint64_t)area * 0xc2b2ae3d27d4eb4fULL);

    return pick(weathers, NELEMS(weathers), unit(splitmix64(&x)));
}

/* The log-odds of a missed appointment: the documented model. */
static double logit_of(const struct generate_row *r, size_t care,
                       size_t weather, size_t social)
{
    double v = B_INTERCEPT;

    v += B_LOG_LEAD * log1p((double)r->lead_days);
    v += r->lead_days == 0 ? B_SAME_DAY : 0.0;
    v += r->sms ? B_SMS : 0.0;
    v += weathers[weather].effect;
    v += B_LOG_DISTANCE * log1p(r->distance_dm / 10.0);
    v += age_effect(r->age);
    v += B_PROPENSITY * r->propensity;
    v += B_RATING * (r->rating - 3);
    v += B_WAITING * r->waiting_min;
    v += B_SCHOLARSHIP * r->scholarship + B_ALCOHOLISM * r->alcoholism;
    v += B_HYPERTENSION * r->hypertension + B_DIABETES * r->diabetes;
    v += B_DISABILITY * r->disability;
    v += B_PREV_TREATED * r->prev_treated;
    v += socials[social].effect + cares[care].effect;
    v += B_FEE * (r->fee_cents / 100.0);
    v += B_CONSULTATIONS * r->consultations;
    v += r->gender == 'M' ? B_MALE : 0.0;
    v += weekday_effect(ns_weekday(r->appt_day));
    return v;
}

static void copy_traits(const struct patient *p, struct generate_row *r)
{
    r->propensity = p->z;
    r->age = p->age;
    r->gender = p->gender;
    r->scholarship = p->scholarship;
    r->hypertension = p->hypertension;
    r->diabetes = p->diabetes;
    r->alcoholism = p->alcoholism;
    r->disability = p->disability;
    r->social = socials[p->social].name;
}

void generate_next(struct generate *g, struct generate_row *r)
{
    struct patient p;
    double u = uni(g);
    uint64_t idx = (uint64_t)((double)g->o.patients * u * sqrt(u));
    size_t care;
    size_t area;
    size_t weather;
    double lambda;

    /* u^1.5 skews the draw so some patients come far more often. */
    if (idx >= g->o.patients)
        idx = g->o.patients - 1;
    patient_traits(g, idx, &p);
    copy_traits(&p, r);
    r->patient_id = 100000000ULL + idx;
    r->appt_id = g->next_appt++;
    care = pick(cares, NELEMS(cares), uni(g));
    r->care = cares[care].name;
    draw_when(g, r);
    area = draw_place(g, &p, r);
    weather = weather_of(g, r->appt_day, area);
    r->weather = weathers[weather].name;
    lambda = 0.5 + 1.5 * p.hypertension + 1.5 * p.diabetes + p.age / 40.0;
    r->consultations = poisson(g, lambda, 30);
    r->prev_treated = uni(g) < fmin(0.9, 0.2 + 0.1 * r->consultations);
    r->logit = logit_of(r, care, weather, p.social);
    r->status = uni(g) < 1.0 / (1.0 + exp(-r->logit));
}

static char *put_2(char *p, int v)
{
    *p++ = (char)('0' + v / 10);
    *p++ = (char)('0' + v % 10);
    return p;
}

/* v / 10^decimals with exactly that many decimals (v >= 0). */
static char *put_fixed(char *p, int v, int decimals)
{
    int scale = decimals == 1 ? 10 : 100;

    p = ns_put_i64(p, v / scale);
    *p++ = '.';
    if (decimals == 1)
        *p++ = (char)('0' + v % 10);
    else
        p = put_2(p, v % 100);
    return p;
}

static char *put_date(char *p, int32_t day)
{
    int y, m, d;

    ns_civil_from_days(day, &y, &m, &d);
    p = put_2(p, y / 100);
    p = put_2(p, y % 100);
    *p++ = '-';
    p = put_2(p, m);
    *p++ = '-';
    return put_2(p, d);
}

/* RFC 4180 quoting, needed only when a value holds a comma, a quote or a
 * line break; names longer than 64 bytes never occur here. */
static char *put_text(char *p, const char *s)
{
    size_t n = strlen(s);

    if (strcspn(s, ",\"\r\n") == n) {
        memcpy(p, s, n);
        return p + n;
    }
    *p++ = '"';
    for (; *s; s++) {
        if (*s == '"')
            *p++ = '"';
        *p++ = *s;
    }
    *p++ = '"';
    return p;
}

static char *put_when(char *p, const struct generate_row *r)
{
    int32_t secs = ns_second_of_day(r->booked_at);

    p = put_date(p, ns_day_of(r->booked_at));
    *p++ = ' ';
    p = put_2(p, secs / 3600);
    *p++ = ':';
    p = put_2(p, secs / 60 % 60);
    *p++ = ':';
    p = put_2(p, secs % 60);
    *p++ = ',';
    p = put_date(p, r->appt_day);
    *p++ = ',';
    p = put_2(p, r->appt_time / 3600);
    *p++ = ':';
    p = put_2(p, r->appt_time / 60 % 60);
    return p;
}

#define FLAG(p, v) (*(p)++ = (char)('0' + (v)), *(p)++ = ',')
#define SEP(p) (*(p)++ = ',')

size_t generate_format_row(const struct generate_row *r, char *buf,
                           size_t cap)
{
    char *p = buf;

    if (cap < GENERATE_LINE_MAX)
        return 0;
    p = ns_put_u64(p, r->patient_id);
    SEP(p);
    p = ns_put_u64(p, r->appt_id);
    SEP(p);
    p = put_when(p, r);
    SEP(p);
    FLAG(p, r->scholarship);
    FLAG(p, r->hypertension);
    FLAG(p, r->diabetes);
    FLAG(p, r->alcoholism);
    FLAG(p, r->disability);
    p = ns_put_i64(p, r->lead_days);
    SEP(p);
    p = put_text(p, r->area);
    SEP(p);
    p = put_text(p, r->specialty);
    SEP(p);
    p = put_text(p, r->facility);
    SEP(p);
    p = put_fixed(p, r->distance_dm, 1);
    SEP(p);
    p = put_text(p, r->care);
    SEP(p);
    FLAG(p, r->prev_treated);
    p = ns_put_i64(p, r->age);
    SEP(p);
    p = put_text(p, r->social);
    SEP(p);
    FLAG(p, r->sms);
    p = put_text(p, r->weather);
    SEP(p);
    *p++ = r->gender;
    SEP(p);
    p = ns_put_i64(p, r->consultations);
    SEP(p);
    p = ns_put_i64(p, r->waiting_min);
    SEP(p);
    FLAG(p, r->rating);
    p = put_fixed(p, r->fee_cents, 2);
    SEP(p);
    *p++ = (char)('0' + r->status);
    *p++ = '\n';
    return (size_t)(p - buf);
}

static enum ns_err flush_buf(FILE *f, const char *buf, size_t n,
                             const char *what, struct ns_error *err)
{
    int e;

    if (n == 0 || fwrite(buf, 1, n, f) == n)
        return NS_OK;
    e = errno;
    return ns_error_set(err, NS_ERR_IO, "%s: write failed: %s", what,
                        strerror(e));
}

static size_t format_header(char *buf)
{
    char *p = buf;

    for (size_t i = 0; i < GENERATE_NCOLUMNS; i++) {
        if (i > 0)
            SEP(p);
        p = put_text(p, generate_columns[i]);
    }
    *p++ = '\n';
    return (size_t)(p - buf);
}

enum ns_err generate_write_csv(const struct generate_opts *o, FILE *f,
                               const char *what, struct ns_error *err)
{
    struct generate *g = NULL;
    struct generate_row row;
    char *buf = NULL;
    size_t len;
    enum ns_err rc;

    rc = generate_new(o, &g, err);
    if (rc != NS_OK)
        goto out;
    buf = malloc(WRITE_BUF);
    if (buf == NULL) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        goto out;
    }
    len = format_header(buf);
    for (uint64_t i = 0; i < o->rows; i++) {
        if (WRITE_BUF - len < GENERATE_LINE_MAX) {
            rc = flush_buf(f, buf, len, what, err);
            if (rc != NS_OK)
                goto out;
            len = 0;
        }
        generate_next(g, &row);
        len += generate_format_row(&row, buf + len, WRITE_BUF - len);
    }
    rc = flush_buf(f, buf, len, what, err);
    if (rc == NS_OK && fflush(f) != 0) {
        int e = errno;

        rc = ns_error_set(err, NS_ERR_IO, "%s: write failed: %s", what,
                          strerror(e));
    }
out:
    free(buf);
    generate_free(g);
    return rc;
}

/* The fate of every row of a file gone through twice (noshow clean,
 * noshow predict), in memory that does not grow with the file: whether
 * the row repeats an earlier one exactly (and is dropped), and, for a
 * kept row with a patient, its history stats (features/history.h).
 *
 * Pass 1 adds every row in file order. rowfate_finish() then sorts the
 * rows into temporary buckets by patient (rows without one by their own
 * fingerprint; equal rows always land together), and two threads take
 * the buckets in turn: each reads one back, finds the duplicates and
 * computes each patient's history group by group, and writes the
 * results to buckets by row number of its own. Pass 2 asks row by row,
 * in file order, and reads one range of row numbers at a time. Memory is
 * the buckets' buffers (about 16 MiB) plus a bucket a thread, whatever
 * the number of rows; the rest waits in unnamed temporary files
 * (util/spill.h), about 180 bytes a row. */
#ifndef NS_ROWFATE_H
#define NS_ROWFATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/clean.h"
#include "features/catcount.h"
#include "features/history.h"
#include "util/err.h"

/* One row of pass 1, as checked on its own. */
struct rowfate_row {
    struct clean_fp fp;         /* clean_row_fp() of the raw row */
    enum clean_reason reason;   /* CLEAN_OK or why the row is dropped */
    const char *patient;        /* a kept row's patient (cleaned), or NULL
                                   when the row has no place in history */
    int64_t booked_at;          /* with patient: the row's instant */
    int32_t appt_day;           /* with patient: its appointment day */
    int8_t label;               /* with patient: 1, 0 or -1 unknown */
    const uint32_t *codes;      /* a kept row's catcount codes, or NULL */
    bool query_only;            /* with patient: asks the patient's
                                   history without being part of it, as
                                   a row scored against past rows only */
};

struct rowfate_fate {
    bool duplicate;             /* an exact copy of an earlier row */
    bool has_stats;             /* stats hold the row's history */
    int64_t booked_at;          /* with has_stats: as added, so that pass
                                   2 can see the file did not change */
    int32_t appt_day;
    struct history_stats stats;
};

struct rowfate;

/* ncodes: catcount_columns() of the counter given to rowfate_finish()
 * (0 without one). file_bytes: the input's size when known, else 0; it
 * sizes the buckets. Caller frees *out with rowfate_free(). */
NS_MUST_CHECK enum ns_err rowfate_new(size_t ncodes, uint64_t file_bytes,
                                      struct rowfate **out,
                                      struct ns_error *err);

/* Adds the next row (rows are numbered from 0 in the order added).
 * NS_ERR_TOO_LARGE past 2^32 - 1 rows; NS_ERR_IO or NS_ERR_NOMEM from
 * the temporary file. */
NS_MUST_CHECK enum ns_err rowfate_add(struct rowfate *f,
                                      const struct rowfate_row *row,
                                      struct ns_error *err);

/* Before rowfate_finish(): a duplicate gets the stats its first copy
 * has (as a row that asks its group) instead of only being marked, for
 * callers that keep every row, as scoring does. */
void rowfate_dups_ask(struct rowfate *f);

/* The history rowfate worked out for rec, the same row read again:
 * its stats, or empty stats for a row with no place in history
 * (history_applies()). false when fate is not that row's: the file
 * changed between the passes. */
bool rowfate_history_of(const struct rowfate_fate *fate,
                        const struct record *rec, struct history_stats *hs);

/* Resolves every row added, on two threads. Each duplicate of a kept
 * row is taken back from cc (which may be NULL; one thread at a time)
 * with its codes, so that cc counts each distinct kept row once.
 * NS_ERR_INVALID names a row history refuses (booked after its day:
 * cleaning drops those). */
NS_MUST_CHECK enum ns_err rowfate_finish(struct rowfate *f,
                                         struct catcount *cc,
                                         struct ns_error *err);

/* After finish: rows found to be duplicates whose own check gave
 * reason (CLEAN_OK for rows that were otherwise fine). */
size_t rowfate_duplicates(const struct rowfate *f, enum clean_reason reason);

/* After finish: the number of the first duplicate row, or SIZE_MAX. */
size_t rowfate_first_duplicate(const struct rowfate *f);

/* After finish: distinct patients of the kept rows. */
size_t rowfate_patients(const struct rowfate *f);

/* After finish, with row numbers never decreasing from call to call:
 * the fate of row i. */
NS_MUST_CHECK enum ns_err rowfate_get(struct rowfate *f, size_t i,
                                      struct rowfate_fate *out,
                                      struct ns_error *err);

void rowfate_free(struct rowfate *f);

#endif

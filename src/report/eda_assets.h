/* Files embedded into the binary at build time (see the Makefile rule
 * that runs scripts/embed-js.sh): the Chart.js UMD build from
 * web/node_modules, NUL-terminated. Static storage. */
#ifndef NS_EDA_ASSETS_H
#define NS_EDA_ASSETS_H

#include <stddef.h>

extern const unsigned char eda_chartjs[];
extern const size_t eda_chartjs_len;

#endif

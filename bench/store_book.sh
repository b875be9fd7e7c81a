#!/usr/bin/env bash
# Bookings per second into a fresh SQLite file from 1 and 2 threads
# (bench/store_book.c), SECONDS each (default 5). With a URL argument
# (mysql://...) it measures that database instead.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${SECONDS_PER_RUN:-5}
make -j2 > /dev/null
cc -O2 -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Isrc \
    $(pkg-config --cflags libmariadb) -o build/store_book \
    bench/store_book.c build/obj/store/*.o build/obj/util/*.o \
    $(pkg-config --libs jansson sqlite3 libmariadb) -lpthread -lm
db=$(mktemp -d)
trap 'rm -rf "$db"' EXIT
for threads in 1 2; do
    url=${1:-sqlite:$db/bench-$threads.db}
    build/store_book "$url" "$threads" "$secs"
done

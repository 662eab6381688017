#!/bin/sh
# Fails if the engine (or the base library it links) references a libc
# symbol that performs I/O or reads a clock. Time is passed in; I/O lives
# in net/ and store/.
set -eu
bad='^(open|openat|read|write|pread|pwrite|fopen|fread|fwrite|fprintf|printf|puts|fputs|send|recv|socket|connect|accept|time|clock_gettime|gettimeofday|clock|getrandom|rand|srand|random|sleep|usleep|nanosleep|syslog|sqlite3_.*|epoll_.*)$'
found=$(nm -u "$@" 2>/dev/null | awk '{print $NF}' | sed 's/@.*//' | grep -E "$bad" | sort -u || true)
if [ -n "$found" ]; then
  echo "engine references I/O or clock symbols:"; echo "$found"; exit 1
fi
echo "engine is pure"

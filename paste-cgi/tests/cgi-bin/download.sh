#!/bin/sh
# Writes QUERY_STRING bytes of zeros, then creates $DONE_FILE: a gateway
# that streams hands the first bytes on long before the file exists.
printf 'Content-Type: application/octet-stream\n\n'
head -c "$QUERY_STRING" /dev/zero
: > "$DONE_FILE"

#!/bin/sh
# Writes a whole response, then exits non-zero: only the log can tell.
printf 'Content-Type: text/plain\n\npartial\n'
exit 3

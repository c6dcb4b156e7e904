#!/bin/sh
# Fails before writing any header: paste-cgi reports a bad gateway, and
# the error catcher (debug = true) shows why.
echo "broken.sh: something went wrong on purpose" >&2
exit 1

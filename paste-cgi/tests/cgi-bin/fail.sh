#!/bin/sh
# Dies before writing a head.
echo "fail.sh: something went wrong" >&2
exit 1

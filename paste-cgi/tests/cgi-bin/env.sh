#!/bin/sh
# Echoes its arguments, working directory and environment, one NAME=value
# a line, sorted. The head ends its lines with LF.
printf 'Content-Type: text/plain\n'
printf 'X-Program: sh\n'
printf '\n'
printf 'ARGC=%s\n' "$#"
printf 'ARG0=%s\n' "$0"
printf 'CWD=%s\n' "$(pwd)"
env | LC_ALL=C sort

#!/bin/sh
# A Status without a reason phrase.
printf 'Status: 404\n'
printf 'Content-Type: text/plain\n'
printf '\n'
printf 'nothing here\n'

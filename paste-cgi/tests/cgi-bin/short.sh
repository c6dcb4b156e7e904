#!/bin/sh
# Announces 100 bytes and writes 5.
printf 'Content-Type: text/plain\nContent-Length: 100\n\nshort'

#!/bin/sh
# The benchmark's trivial program.
printf 'Content-Type: text/plain\n\nhi'

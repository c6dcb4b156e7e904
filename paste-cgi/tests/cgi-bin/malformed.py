#!/usr/bin/python3
"""Forgets the head: the first line is not a header field."""
import sys

sys.stdout.write("this is not a header\n\nbody\n")

#!/usr/bin/python3
"""Echoes its arguments, working directory and environment, one NAME=value
a line, sorted; the request body's length too. LF line ends."""
import os
import sys

body = sys.stdin.buffer.read()
out = sys.stdout
out.write("Content-Type: text/plain\n")
out.write("X-Program: python\n")
out.write("\n")
out.write("ARGC=%d\n" % (len(sys.argv) - 1))
out.write("ARG0=%s\n" % sys.argv[0])
out.write("CWD=%s\n" % os.getcwd())
out.write("BODY_BYTES=%d\n" % len(body))
for name in sorted(os.environ):
    out.write("%s=%s\n" % (name, os.environ[name]))

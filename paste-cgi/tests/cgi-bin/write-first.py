#!/usr/bin/python3
"""Writes its head and 1 MiB of body before reading any input, then reads
all of stdin and reports its length: a gateway that writes the whole body
before reading the output deadlocks on this one."""
import sys

out = sys.stdout.buffer
out.write(b"Content-Type: application/octet-stream\n\n")
out.write(b"a" * (1024 * 1024))
out.flush()
total = 0
while True:
    chunk = sys.stdin.buffer.read(65536)
    if not chunk:
        break
    total += len(chunk)
out.write(b"\nread=%d\n" % total)

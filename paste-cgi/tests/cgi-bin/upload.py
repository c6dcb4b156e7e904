#!/usr/bin/python3
"""Reads the whole request body from stdin in small pieces and reports its
length and SHA-256. With UPLOAD_MARKER set, creates that file once the
first MiB has been read: the test holds the rest of the body back until it
exists, which only a streaming gateway can satisfy."""
import hashlib
import os
import sys

marker = os.environ.get("UPLOAD_MARKER")
digest = hashlib.sha256()
total = 0
stdin = sys.stdin.buffer
while True:
    chunk = stdin.read(64 * 1024)
    if not chunk:
        break
    total += len(chunk)
    digest.update(chunk)
    if marker and total >= 1024 * 1024:
        open(marker, "w").close()
        marker = None

sys.stdout.write("Content-Type: text/plain\n\n")
sys.stdout.write("bytes=%d sha256=%s content_length=%s\n"
                 % (total, digest.hexdigest(), os.environ.get("CONTENT_LENGTH", "-")))

#!/bin/sh
# Echoes a POSTed form body back, as plain text.
printf 'Content-Type: text/plain; charset=utf-8\r\n\r\n'
printf 'echo.sh got %s bytes by %s:\n' "${CONTENT_LENGTH:-0}" "$REQUEST_METHOD"
if [ -n "${CONTENT_LENGTH:-}" ]; then
    dd bs=1 count="$CONTENT_LENGTH" 2>/dev/null
fi
printf '\n'

#!/bin/sh
# A non-parsed-header program: a whole HTTP response head, CRLF lines.
printf 'HTTP/1.1 203 Non-Authoritative Information\r\n'
printf 'X-Raw: yes\r\n'
printf 'Status: 500 not interpreted\r\n'
printf 'Content-Type: text/plain\r\n'
printf 'Content-Length: 8\r\n'
printf '\r\n'
printf 'raw body'

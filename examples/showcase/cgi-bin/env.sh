#!/bin/sh
# The CGI variables this script got, as plain text (so nothing a client
# sent can become markup).
printf 'Content-Type: text/plain; charset=utf-8\r\n\r\n'
for name in GATEWAY_INTERFACE SERVER_PROTOCOL REQUEST_METHOD SCRIPT_NAME PATH_INFO QUERY_STRING REMOTE_ADDR SERVER_NAME SERVER_PORT HTTP_HOST HTTP_USER_AGENT; do
    eval "value=\${$name-}"
    printf '%s=%s\n' "$name" "$value"
done

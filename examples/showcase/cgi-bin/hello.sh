#!/bin/sh
# A CGI script: headers, a blank line, the body.
printf 'Content-Type: text/html; charset=utf-8\r\n\r\n'
printf '<!DOCTYPE html><html><head><title>hello.sh</title><link rel="stylesheet" href="/style.css"></head><body>\n'
printf '<h1>Hello from a shell script</h1>\n'
printf '<p>This page was written by <code>hello.sh</code>, run by paste-cgi for %s.</p>\n' "$REQUEST_METHOD"
printf '<p>Back to <a href="/cgi.html">CGI</a> or <a href="/">home</a>.</p>\n</body></html>\n'

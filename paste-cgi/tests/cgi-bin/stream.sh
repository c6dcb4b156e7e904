#!/bin/sh
# Starts a grandchild, records both pids in $PID_FILE, then streams a line
# every 50 ms for ever.
sleep 300 &
echo "$$ $!" > "$PID_FILE"
printf 'Content-Type: text/plain\n\n'
while :; do
    echo tick
    sleep 0.05
done

#!/bin/sh
# Starts a grandchild, records both pids in $PID_FILE, and never answers.
sleep 300 &
echo "$$ $!" > "$PID_FILE"
wait

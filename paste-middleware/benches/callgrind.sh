#!/usr/bin/env bash
# Instructions per request, counted by callgrind: a repeatable measure of
# what each server costs, unmoved by the load of a shared machine (which
# makes wall-clock runs such as paste-server/benches/load.sh noisy).
#
#   bash paste-middleware/benches/callgrind.sh                 # raw_hyper, hello, stack
#   bash paste-middleware/benches/callgrind.sh stack           # one of them
#   N=5000 bash paste-middleware/benches/callgrind.sh
#
# Each server runs twice under `valgrind --tool=callgrind`: once for WARM
# requests, once for WARM + N, all sent one after the other on one
# keep-alive connection (as `wrk -c1` would); the difference of the two
# totals divided by N is the cost of one request, without start-up,
# connection set-up and shutdown. Every server gets the same request: Host,
# User-Agent, Accept and the stack's session cookie (COOKIE below), as a
# client of the stack would send it. Figures move by about ±100 between
# runs (the runtime's two workers do not park the same way every time).
# The profile of the larger run stays in $OUT (callgrind_annotate it).
# Only 127.0.0.1 is used.
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${N:-2000}
WARM=${WARM:-200}
OUT=${OUT:-/tmp/paste-callgrind}
TARGET=${CARGO_TARGET_DIR:-target}
# The session the stack example stores at start-up (see examples/stack.rs).
# COOKIE= (empty) sends none: the session middleware then has nothing to load.
COOKIE=${COOKIE-paste_session=5e551011c0ffee5e551011c0ffee5e55}
SERVERS=("$@")
[ ${#SERVERS[@]} -eq 0 ] && SERVERS=(raw_hyper hello stack)

if ! command -v valgrind >/dev/null; then
    echo "installing valgrind" >&2
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq valgrind >/dev/null
fi

cargo build --release -q -p paste-server --example raw_hyper --example hello
cargo build --release -q -p paste-middleware --example stack
mkdir -p "$OUT"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# client PORT COUNT: waits for the server, then sends COUNT requests on
# one connection, reading each answer (Content-Length framed) in full.
client() {
    python3 - "$1" "$2" "$COOKIE" <<'PY'
import socket, sys, time
port, count, cookie = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
deadline = time.time() + 120
while True:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=60)
        break
    except OSError:
        if time.time() > deadline:
            sys.exit("the server did not start")
        time.sleep(0.2)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
req = ("GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: callgrind.sh\r\n"
       "Accept: */*\r\n%s\r\n" % (port, "Cookie: %s\r\n" % cookie if cookie else "")).encode()
buf = b""
for _ in range(count):
    s.sendall(req)
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("the server closed the connection")
        buf += chunk
    head, _, buf = buf.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        sys.exit("unexpected answer: %r" % head[:200])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(buf) < length:
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("the server closed the connection")
        buf += chunk
    buf = buf[length:]
s.close()
PY
}

# total NAME COUNT -> prints the Ir total of one run
total() {
    local name=$1 count=$2 port pid file
    port=$(free_port)
    file="$OUT/$name.$count.out"
    RUST_LOG=warn valgrind --tool=callgrind --callgrind-out-file="$file" \
        "$TARGET/release/examples/$name" "127.0.0.1:$port" >/dev/null 2>"$OUT/$name.$count.log" &
    pid=$!
    if ! client "$port" "$count"; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        cat "$OUT/$name.$count.log" >&2
        return 1
    fi
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    awk '/^summary:|^totals:/ {print $2; exit}' "$file"
}

printf '%-10s %12s\n' server "Ir/request"
for name in "${SERVERS[@]}"; do
    small=$(total "$name" "$WARM")
    large=$(total "$name" $((WARM + N)))
    awk -v a="$small" -v b="$large" -v n="$N" -v name="$name" \
        'BEGIN {printf "%-10s %12.0f\n", name, (b - a) / n}'
done
echo "(callgrind, $N requests on one keep-alive connection after $WARM; profiles in $OUT)"

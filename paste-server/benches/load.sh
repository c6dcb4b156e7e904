#!/usr/bin/env bash
# Load benchmark: paste-server's `hello` example against the same server
# written on raw hyper (`raw_hyper`), in the same run, with wrk.
#
#   bash paste-server/benches/load.sh            # 3 rounds of 10 s, 64 connections
#   ROUNDS=5 DURATION=20 CONNECTIONS=128 bash paste-server/benches/load.sh
#   CANDIDATE=paste-middleware:stack bash paste-server/benches/load.sh   # another example against raw hyper
#   HEADER='Cookie: a=b' bash paste-server/benches/load.sh                # one more request header, sent to both
#
# The server runs pinned to one core and wrk to another (taskset), so the
# two never fight over a CPU; the servers take turns, in alternating order,
# and the medians over the rounds are compared. Only 127.0.0.1 is used.
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
CANDIDATE=${CANDIDATE:-paste-server:hello}   # PACKAGE:EXAMPLE served against raw hyper
CANDIDATE_PKG=${CANDIDATE%%:*}
CANDIDATE_EXAMPLE=${CANDIDATE##*:}
# The stack example's requests carry the cookie of the session it stores
# (see paste-middleware/examples/stack.rs); raw hyper gets the same bytes.
if [ "$CANDIDATE_EXAMPLE" = stack ]; then
    HEADER=${HEADER-Cookie: paste_session=5e551011c0ffee5e551011c0ffee5e55}
fi
HEADER=${HEADER:-}
WRK_HEADER=()
[ -n "$HEADER" ] && WRK_HEADER=(-H "$HEADER")

if ! command -v wrk >/dev/null; then
    echo "installing wrk" >&2
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk >/dev/null
fi
if [ "$(nproc)" -lt 2 ]; then
    echo "warning: fewer than 2 cores; server and client will share one" >&2
    CLIENT_CPU=$SERVER_CPU
fi

cargo build --release -q -p paste-server --example raw_hyper
cargo build --release -q -p "$CANDIDATE_PKG" --example "$CANDIDATE_EXAMPLE"
bin=${CARGO_TARGET_DIR:-target}/release/examples

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run NAME -> prints "req_per_sec p99_ms"
run() {
    local name=$1 port pid out rps p99
    port=$(free_port)
    RUST_LOG=warn taskset -c "$SERVER_CPU" "$bin/$name" "127.0.0.1:$port" 2>/dev/null &
    pid=$!
    for _ in $(seq 50); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && break
        sleep 0.1
    done
    # warm-up
    taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d2s ${WRK_HEADER[@]+"${WRK_HEADER[@]}"} "http://127.0.0.1:$port/" >/dev/null
    out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency ${WRK_HEADER[@]+"${WRK_HEADER[@]}"} "http://127.0.0.1:$port/")
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if echo "$out" | grep -q "Non-2xx\|Socket errors"; then
        echo "$out" >&2
    fi
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p99=$(echo "$out" | awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}')
    echo "$rps $p99"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

declare -a hyper_rps paste_rps hyper_p99 paste_p99 ratios
for round in $(seq "$ROUNDS"); do
    if (( round % 2 )); then order="raw_hyper $CANDIDATE_EXAMPLE"; else order="$CANDIDATE_EXAMPLE raw_hyper"; fi
    for name in $order; do
        read -r rps p99 < <(run "$name")
        printf 'round %d  %-10s %10.0f req/s  p99 %6.2f ms\n' "$round" "$name" "$rps" "$p99" >&2
        if [ "$name" = raw_hyper ]; then hyper_rps+=("$rps"); hyper_p99+=("$p99");
        else paste_rps+=("$rps"); paste_p99+=("$p99"); fi
    done
    # The ratio of the two runs of one round: the machine drifts between
    # rounds more than within one, so these pairs are the steadier figure.
    ratios+=("$(awk -v p="${paste_rps[-1]}" -v h="${hyper_rps[-1]}" 'BEGIN {print p/h}')")
done

h_rps=$(printf '%s\n' "${hyper_rps[@]}" | median)
p_rps=$(printf '%s\n' "${paste_rps[@]}" | median)
h_p99=$(printf '%s\n' "${hyper_p99[@]}" | median)
p_p99=$(printf '%s\n' "${paste_p99[@]}" | median)

echo
echo "wrk -t1 -c$CONNECTIONS -d${DURATION}s${HEADER:+ -H '$HEADER'}, $ROUNDS rounds, medians; server on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU"
printf '%-12s %12s %10s\n' server "req/s" "p99 (ms)"
printf '%-12s %12.0f %10.2f\n' raw_hyper "$h_rps" "$h_p99"
printf '%-12s %12.0f %10.2f\n' "$CANDIDATE_EXAMPLE" "$p_rps" "$p_p99"
r=$(printf '%s\n' "${ratios[@]}" | median)
awk -v p="$p_rps" -v h="$h_rps" -v pp="$p_p99" -v hp="$h_p99" -v r="$r" -v name="$CANDIDATE_EXAMPLE" \
    'BEGIN {printf "ratio %s/raw_hyper: throughput %.3f (median of per-round ratios %.3f), p99 %.3f\n", name, p/h, r, pp/hp}'

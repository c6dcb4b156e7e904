#!/usr/bin/env bash
# Load benchmark: a hello backend (paste-server's `hello` example) measured
# directly, through wsgiproxy's HostProxy served by paste-server (the
# `proxy` example), and through nginx `proxy_pass` with a keep-alive
# upstream, in the same run, with wrk.
#
#   bash wsgiproxy/benches/proxy.sh            # 3 rounds of 10 s, 64 connections
#   ROUNDS=5 DURATION=20 CONNECTIONS=128 bash wsgiproxy/benches/proxy.sh
#
# The front end under test (the backend itself when direct, the proxy, or
# nginx) runs alone pinned to FRONT_CPU; the backend and wrk share
# OTHER_CPU. The three take turns in rotating order, and the medians of the
# per-round ratios are reported, with the CPU time the front end spent per
# request (steadier than throughput on a busy machine: the front end is
# rarely the bottleneck there). Only 127.0.0.1 is used. nginx is
# installed with apt-get when missing and runs from a temporary config.
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
FRONT_CPU=${FRONT_CPU:-1}
OTHER_CPU=${OTHER_CPU:-0}

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
need() {
    if ! command -v "$1" >/dev/null && ! [ -x "/usr/sbin/$1" ]; then
        echo "installing $2" >&2
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "$2" >/dev/null
    fi
}
need wrk wrk
need nginx nginx
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ "$(nproc)" -lt 2 ]; then
    echo "warning: fewer than 2 cores; everything shares one" >&2
    OTHER_CPU=$FRONT_CPU
fi

cargo build --release -q -p paste-server --example hello
cargo build --release -q -p wsgiproxy --example proxy
bin=${CARGO_TARGET_DIR:-target}/release/examples
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() {
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
        sleep 0.1
    done
    echo "nothing answers on port $1" >&2
    return 1
}

# start NAME PORT BACKEND_PORT: starts the front end, its pid in FRONT_PID
start() {
    local name=$1 port=$2 backend=$3
    case $name in
    direct)
        RUST_LOG=warn taskset -c "$FRONT_CPU" "$bin/hello" "127.0.0.1:$port" >/dev/null 2>&1 &
        ;;
    wsgiproxy)
        RUST_LOG=warn taskset -c "$FRONT_CPU" "$bin/proxy" "127.0.0.1:$port" "http://127.0.0.1:$backend" >/dev/null 2>&1 &
        ;;
    nginx)
        mkdir -p "$tmp/nginx-$port"
        cat >"$tmp/nginx-$port/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $tmp/nginx-$port/nginx.pid;
error_log $tmp/nginx-$port/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx-$port;
    proxy_temp_path $tmp/nginx-$port;
    fastcgi_temp_path $tmp/nginx-$port;
    uwsgi_temp_path $tmp/nginx-$port;
    scgi_temp_path $tmp/nginx-$port;
    upstream backend {
        server 127.0.0.1:$backend;
        keepalive 128;
    }
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
        }
    }
}
CONF
        taskset -c "$FRONT_CPU" "$NGINX" -p "$tmp/nginx-$port" -c "$tmp/nginx-$port/nginx.conf" >/dev/null 2>&1 &
        ;;
    esac
    FRONT_PID=$!
}

# cpu_ticks PID: user + system CPU time of PID and its children (nginx's
# worker), in clock ticks.
cpu_ticks() {
    local total=0 p
    for p in "$1" $(pgrep -P "$1" || true); do
        [ -r "/proc/$p/stat" ] || continue
        total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
    done
    echo "$total"
}
TICK_US=$((1000000 / $(getconf CLK_TCK)))

# run NAME -> prints "req_per_sec p99_ms cpu_us_per_request"
run() {
    local name=$1 port backend_port backend_pid pid out rps p99
    port=$(free_port)
    backend_port=$(free_port)
    backend_pid=""
    if [ "$name" != direct ]; then
        RUST_LOG=warn taskset -c "$OTHER_CPU" "$bin/hello" "127.0.0.1:$backend_port" >/dev/null 2>&1 &
        backend_pid=$!
        wait_up "$backend_port"
    fi
    start "$name" "$port" "$backend_port"
    pid=$FRONT_PID
    wait_up "$port"
    # warm-up
    taskset -c "$OTHER_CPU" wrk -t1 -c"$CONNECTIONS" -d2s "http://127.0.0.1:$port/" >/dev/null
    local before after requests cpu
    before=$(cpu_ticks "$pid")
    out=$(taskset -c "$OTHER_CPU" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:$port/")
    after=$(cpu_ticks "$pid")
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if [ -n "$backend_pid" ]; then
        kill -TERM "$backend_pid" 2>/dev/null || true
        wait "$backend_pid" 2>/dev/null || true
    fi
    if echo "$out" | grep -q "Non-2xx\|Socket errors"; then
        echo "$out" >&2
    fi
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p99=$(echo "$out" | awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}')
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    cpu=$(awk -v t=$((after - before)) -v us="$TICK_US" -v n="$requests" 'BEGIN {print t * us / n}')
    echo "$rps $p99 $cpu"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

declare -A rps_of p99_of cpu_of
declare -a vs_nginx vs_direct
names=(direct wsgiproxy nginx)
for round in $(seq "$ROUNDS"); do
    # Rotate the order from round to round.
    shift_by=$(( (round - 1) % 3 ))
    order=("${names[@]:$shift_by}" "${names[@]:0:$shift_by}")
    declare -A this
    for name in "${order[@]}"; do
        read -r rps p99 cpu < <(run "$name")
        printf 'round %d  %-10s %10.0f req/s  p99 %6.2f ms  front-end CPU %5.1f us/req\n' "$round" "$name" "$rps" "$p99" "$cpu" >&2
        this[$name]=$rps
        rps_of[$name]="${rps_of[$name]:-} $rps"
        p99_of[$name]="${p99_of[$name]:-} $p99"
        cpu_of[$name]="${cpu_of[$name]:-} $cpu"
    done
    vs_nginx+=("$(awk -v p="${this[wsgiproxy]}" -v n="${this[nginx]}" 'BEGIN {print p/n}')")
    vs_direct+=("$(awk -v p="${this[wsgiproxy]}" -v d="${this[direct]}" 'BEGIN {print p/d}')")
    unset this
done

echo
echo "wrk -t1 -c$CONNECTIONS -d${DURATION}s, $ROUNDS rounds, medians; front end on CPU $FRONT_CPU, backend and wrk on CPU $OTHER_CPU"
printf '%-12s %12s %10s %16s\n' "front end" "req/s" "p99 (ms)" "CPU (us/req)"
for name in "${names[@]}"; do
    r=$(printf '%s\n' ${rps_of[$name]} | median)
    p=$(printf '%s\n' ${p99_of[$name]} | median)
    c=$(printf '%s\n' ${cpu_of[$name]} | median)
    printf '%-12s %12.0f %10.2f %16.1f\n' "$name" "$r" "$p" "$c"
done
n=$(printf '%s\n' "${vs_nginx[@]}" | median)
d=$(printf '%s\n' "${vs_direct[@]}" | median)
printf 'ratio wsgiproxy/nginx: %.3f (goal >= 0.8); wsgiproxy/direct: %.3f (medians of per-round ratios)\n' "$n" "$d"
cp=$(printf '%s\n' ${cpu_of[wsgiproxy]} | median)
cn=$(printf '%s\n' ${cpu_of[nginx]} | median)
awk -v p="$cp" -v n="$cn" 'BEGIN {printf "CPU per request, wsgiproxy/nginx: %.2f\n", p/n}'

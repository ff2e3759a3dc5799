#!/usr/bin/env bash
# What counting page views costs: wrk against the home page of one running server, alternating
# requests that are counted (a browser's user agent) and requests that are not (the same with
# `DNT: 1`, which the counter skips before doing any work), and prints requests per second of
# each and their ratio. Same process, same run, so machine speed cancels out. Installs Debian's
# `wrk` when it is missing (as root).
#
#   scripts/analytics-overhead.sh [BIN] [ROUNDS] [SECONDS]
#   (defaults target/release/imgigo, 3 rounds of 10 s each way; reports the CPU features too)
set -euo pipefail
bin="${1:-target/release/imgigo}"
rounds="${2:-3}"
seconds="${3:-10}"
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >/dev/null; else echo "install wrk (apt-get install wrk)" >&2; exit 1; fi
fi
data="$(mktemp -d)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
IMGIGO_DATA_DIR="$data" IMGIGO_ADDR="127.0.0.1:$port" IMGIGO_MODEL_FILE="$data/none.bpk" IMGIGO_LOG=error \
  "$bin" serve >"$data/log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
ua='Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'
rate() {
  local out
  out=$(wrk -t2 -c16 -d"${seconds}s" -H "User-Agent: $ua" "$@" "http://127.0.0.1:$port/")
  if grep -q 'Non-2xx' <<<"$out"; then echo "the home page did not answer 200: $out" >&2; exit 1; fi
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}
rate -d2s >/dev/null # warm up
counted=0; skipped=0
for round in $(seq 1 "$rounds"); do
  c=$(rate); s=$(rate -H 'DNT: 1')
  echo "round $round: counted $c req/s, not counted (DNT) $s req/s"
  counted=$(python3 -c "print($counted + $c)"); skipped=$(python3 -c "print($skipped + $s)")
done
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); features: $(grep -o 'avx512f\|avx2' /proc/cpuinfo | sort -u | xargs)"
python3 -c "c=$counted/$rounds; s=$skipped/$rounds; print(f'mean: counted {c:.0f} req/s, not counted {s:.0f} req/s, ratio counted/not counted {c/s:.3f} ({(1-c/s)*100:+.1f}% cost)')"

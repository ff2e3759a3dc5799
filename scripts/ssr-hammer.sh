#!/usr/bin/env bash
# Hammers a running imgigo with page requests, some abandoned mid-stream, and reports what a
# browser would trip on: a response that stalls, or a page without its CSP nonce (its scripts are
# then refused and it never hydrates). A diagnostic for the rare failures in the notes of
# 2026-12-04, not part of `make test`.
#
#   scripts/ssr-hammer.sh [BASE_URL] [REQUESTS] [CONCURRENCY]
#   (defaults http://127.0.0.1:3000 4000 24; every other request is abandoned after 4 ms)
set -euo pipefail
base="${1:-http://127.0.0.1:3000}"
count="${2:-4000}"
parallel="${3:-24}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
paths=(/ /privacy /backgrounds/licences /cookies /login /register /developers /privacy/request)
for i in $(seq 1 "$count"); do echo "$i ${paths[$((i % ${#paths[@]}))]}"; done \
  | xargs -P "$parallel" -L1 sh -c '
      if [ $(($0 % 2)) -eq 0 ]; then
        curl -s -m 0.004 -o /dev/null "'"$base"'$1" || true
      else
        curl -s -m 10 -D "'"$out"'/h$0" -o "'"$out"'/b$0" "'"$base"'$1" || echo "stalled: $1"
      fi' | sort | uniq -c
read_whole=$(find "$out" -name 'h*' | wc -l)
no_nonce=$(grep -L "nonce-" "$out"/h* 2>/dev/null | wc -l || true)
echo "$read_whole responses read whole; $no_nonce without a nonce in their Content-Security-Policy"

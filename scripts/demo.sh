#!/usr/bin/env bash
# `make demo`: topics, tenants, the worker and the sink+API, then a week of synthetic traffic.
# `make demo-stop` stops the two processes (Kafka and Redis keep running: `make services-down`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
demo=.local/demo
pulse=.venv/bin/pulse
mkdir -p "$demo"

stop() {
  for name in worker serve; do
    if [[ -f $demo/$name.pid ]] && kill -0 "$(cat "$demo/$name.pid")" 2>/dev/null; then
      kill "$(cat "$demo/$name.pid")" && echo "stopped $name"
    fi
    rm -f "$demo/$name.pid"
  done
}

if [[ ${1:-} == stop ]]; then stop; exit 0; fi
stop

$pulse topics apply
$pulse tenants set acme --timezone America/New_York
$pulse tenants set globex --timezone Europe/Lisbon
$pulse tenants set initech --timezone America/Sao_Paulo

nohup $pulse serve >"$demo/serve.log" 2>&1 &
echo $! >"$demo/serve.pid"
nohup $pulse worker >"$demo/worker.log" 2>&1 &
echo $! >"$demo/worker.pid"

for _ in $(seq 1 120); do
  curl -fs http://127.0.0.1:8000/health >/dev/null 2>&1 && break
  kill -0 "$(cat "$demo/serve.pid")" 2>/dev/null || { echo "pulse serve died; see $demo/serve.log" >&2; exit 1; }
  sleep 0.5
done

$pulse demo-events "$demo/events.jsonl" --days 7
$pulse produce "$demo/events.jsonl" || true   # the demo file has no bad lines; keep going anyway
echo "waiting for the worker, then the sink, to catch up (pulse lag --wait)…"
$pulse lag --wait --timeout 300 || {
  echo "the pipeline did not catch up in 300 s; see $demo/worker.log and $demo/serve.log" >&2
  exit 1
}

token=$($pulse token acme)
# The demo's week, in day buckets (a range needing more than PULSE_API_MAX_BUCKETS is refused).
from=$(date -u -d '8 days ago' +%Y-%m-%dT00:00:00Z)
to=$(date -u -d 'tomorrow' +%Y-%m-%dT00:00:00Z)
query='{"query":"{ messagingMetrics(from: \"'$from'\", to: \"'$to'\", granularity: DAY) { timeZone buckets { localStart sent delivered read deliveryRate readRate firstResponse { conversations frtAvgSeconds frtP50Seconds frtP90Seconds } } totals { sent delivered read deliveryRate readRate } } }"}'
echo
echo "GraphQL: http://127.0.0.1:8000/graphql   health: http://127.0.0.1:8000/health"
echo "metrics: http://127.0.0.1:8000/metrics (sink + API)   http://127.0.0.1:6066/metrics (worker)"
echo "logs:    $demo/worker.log  $demo/serve.log"
echo "token for tenant acme (America/New_York):"
echo "  $token"
echo "daily messaging metrics of acme:"
# Saved, then printed whole: cutting a pipe short (`| head`) fails the script under pipefail.
curl -fsS http://127.0.0.1:8000/graphql -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -d "$query" -o "$demo/acme-daily.json"
.venv/bin/python -m json.tool "$demo/acme-daily.json"
# A dashboard of the demo's week, and its page with a read-only token for it alone (15 minutes).
curl -fsS http://127.0.0.1:8000/graphql -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -d @scripts/demo-dashboard.json -o "$demo/dashboard.json"
board=$(.venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["data"]["createDashboard"]["id"])' <"$demo/dashboard.json")
embed='{"query":"mutation { embedToken(dashboardId: \"'$board'\", ttlSeconds: 900) { token } }"}'
curl -fsS http://127.0.0.1:8000/graphql -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -d "$embed" -o "$demo/embed.json"
embed_token=$(.venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["data"]["embedToken"]["token"])' <"$demo/embed.json")
echo
echo "dashboard page (live; the token expires in 15 minutes):"
echo "  http://127.0.0.1:8000/dashboards/$board#token=$embed_token"
echo
echo "stop with: make demo-stop"

#!/usr/bin/env bash
# Start/stop the seven services (five stages, insights, outbound) and the vendor stand-ins as separate processes: start | stop | status.
# Pids and logs live in .local/run; `stop` only kills the pids this script recorded.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
run=${LEADRELAY_RUN_DIR:-$root/.local/run}
py=$root/.venv/bin/python
services=(capture enrich score route notify insights outbound)
declare -A ports=([capture]=8001 [enrich]=8002 [score]=8003 [route]=8004 [notify]=8005 [insights]=8006 [outbound]=8007
  [slack-standin]=8099 [twilio-standin]=8098 [smtp-standin]=8097 [meta-graph-standin]=8096 [hubspot-standin]=8094
  [salesforce-standin]=8093)
standins=(slack-standin twilio-standin smtp-standin meta-graph-standin hubspot-standin salesforce-standin)
smtp_port=8025

export LEADRELAY_SLACK_API_URL=${LEADRELAY_SLACK_API_URL:-http://127.0.0.1:${ports[slack-standin]}/api}
export LEADRELAY_SLACK_BOT_TOKEN=${LEADRELAY_SLACK_BOT_TOKEN:-xoxb-local-standin}
# Local defaults only: services refuse these (and the example config) unless LEADRELAY_ENV=development.
export LEADRELAY_ENV=${LEADRELAY_ENV:-development}
export LEADRELAY_API_KEYS=${LEADRELAY_API_KEYS:-'[{"name": "website", "key": "local-dev-key", "scopes": ["intake"]},
  {"name": "ops", "key": "local-ops-key", "scopes": ["ops:read", "ops:write"]},
  {"name": "notify", "key": "local-notify-key", "scopes": ["claim"]},
  {"name": "console", "key": "local-console-key", "scopes": ["ops:read", "ops:write", "claim"]},
  {"name": "alice", "key": "local-alice-key", "scopes": ["claim"], "rep": "alice"},
  {"name": "crm", "key": "local-crm-key", "scopes": ["intake", "outcomes"]}]'}
export LEADRELAY_ROUTE_API_KEY=${LEADRELAY_ROUTE_API_KEY:-local-notify-key}
export LEADRELAY_SLACK_SIGNING_SECRET=${LEADRELAY_SLACK_SIGNING_SECRET:-local-slack-signing-secret}
export LEADRELAY_CLAIM_LINK_SECRET=${LEADRELAY_CLAIM_LINK_SECRET:-local-claim-link-secret}
export LEADRELAY_ROUTE_URL=${LEADRELAY_ROUTE_URL:-http://127.0.0.1:${ports[route]}}
export LEADRELAY_CAPTURE_URL=${LEADRELAY_CAPTURE_URL:-http://127.0.0.1:${ports[capture]}}
export LEADRELAY_CLAIM_BASE_URL=${LEADRELAY_CLAIM_BASE_URL:-http://127.0.0.1:${ports[route]}}
# Each service's own public URL (vendor signatures over the URL, minted links): its local address
# unless LEADRELAY_PUBLIC_URL names the proxy in front of all of them.
public_url() { echo "${LEADRELAY_PUBLIC_URL:-http://127.0.0.1:${ports[$1]}}"; }
export LEADRELAY_CONSOLE_URL=${LEADRELAY_CONSOLE_URL:-http://127.0.0.1:${ports[insights]}/console}
# Local stand-ins for Twilio and an SMTP relay (set these to real values to send real SMS / email).
export LEADRELAY_TWILIO_API_URL=${LEADRELAY_TWILIO_API_URL:-http://127.0.0.1:${ports[twilio-standin]}}
export LEADRELAY_TWILIO_ACCOUNT_SID=${LEADRELAY_TWILIO_ACCOUNT_SID:-AC00000000000000000000000000000local}
export LEADRELAY_TWILIO_AUTH_TOKEN=${LEADRELAY_TWILIO_AUTH_TOKEN:-local-twilio-auth-token}
export LEADRELAY_TWILIO_FROM=${LEADRELAY_TWILIO_FROM:-+15005550006}
export LEADRELAY_TWILIO_STATUS_CALLBACK_URL=${LEADRELAY_TWILIO_STATUS_CALLBACK_URL:-http://127.0.0.1:${ports[notify]}/v1/twilio/status}
export LEADRELAY_SMTP_HOST=${LEADRELAY_SMTP_HOST:-127.0.0.1}
export LEADRELAY_SMTP_PORT=${LEADRELAY_SMTP_PORT:-$smtp_port}
# The SMTP stand-in behaves like a submission relay: STARTTLS (a local CA's certificate), then AUTH.
smtp_tls=$root/.local/certs/smtp
export LEADRELAY_SMTP_STARTTLS=${LEADRELAY_SMTP_STARTTLS:-true}
export LEADRELAY_SMTP_CA_FILE=${LEADRELAY_SMTP_CA_FILE:-$smtp_tls/ca.crt}
export LEADRELAY_SMTP_USERNAME=${LEADRELAY_SMTP_USERNAME:-apikey}
export LEADRELAY_SMTP_PASSWORD=${LEADRELAY_SMTP_PASSWORD:-local-smtp-password}
# CRM stand-ins (HubSpot, Salesforce): owner write-back for reps whose channels name them.
export LEADRELAY_HUBSPOT_TOKEN=${LEADRELAY_HUBSPOT_TOKEN:-pat-local-standin}
export LEADRELAY_HUBSPOT_API_URL=${LEADRELAY_HUBSPOT_API_URL:-http://127.0.0.1:${ports[hubspot-standin]}}
export LEADRELAY_SALESFORCE_TOKEN_URL=${LEADRELAY_SALESFORCE_TOKEN_URL:-http://localhost:${ports[salesforce-standin]}/services/oauth2/token}
export LEADRELAY_SALESFORCE_CLIENT_ID=${LEADRELAY_SALESFORCE_CLIENT_ID:-local-connected-app}
export LEADRELAY_SALESFORCE_CLIENT_SECRET=${LEADRELAY_SALESFORCE_CLIENT_SECRET:-local-connected-app-secret}
export LEADRELAY_ALLOW_PRIVATE_URLS=${LEADRELAY_ALLOW_PRIVATE_URLS:-true}

running() { [ -f "$run/$1.pid" ] && kill -0 "$(cat "$run/$1.pid")" 2>/dev/null; }

launch() {
  local name=$1; shift
  if running "$name"; then echo "$name: already running (pid $(cat "$run/$name.pid"))"; return; fi
  (cd "$root" && exec "$@") >>"$run/logs/$name.log" 2>&1 &
  echo $! >"$run/$name.pid"
  echo "$name: started (pid $!, 127.0.0.1:${ports[$name]})"
}

wait_ready() {
  local name=$1 url=$2
  for _ in $(seq 1 120); do
    if curl -fs -o /dev/null "$url"; then return 0; fi
    if ! running "$name"; then echo "$name exited; last log lines:" >&2; tail -20 "$run/logs/$name.log" >&2; exit 1; fi
    sleep 0.5
  done
  echo "$name not ready after 60s: $(curl -sS "$url" || true)" >&2
  tail -20 "$run/logs/$name.log" >&2
  exit 1
}

start() {
  mkdir -p "$run/logs"
  launch slack-standin "$py" -m standins.slack --port "${ports[slack-standin]}" --record "$run/slack-messages.jsonl" \
    --signing-secret "$LEADRELAY_SLACK_SIGNING_SECRET" \
    --interactions-url "http://127.0.0.1:${ports[notify]}/v1/slack/interactions"
  launch twilio-standin "$py" -m standins.twilio --port "${ports[twilio-standin]}" \
    --account-sid "$LEADRELAY_TWILIO_ACCOUNT_SID" --auth-token "$LEADRELAY_TWILIO_AUTH_TOKEN"
  "$here/certs.sh" "$smtp_tls" "leadrelay local SMTP CA"
  launch smtp-standin "$py" -m standins.smtp --smtp-port "$smtp_port" --http-port "${ports[smtp-standin]}" \
    --tls-cert "$smtp_tls/server.crt" --tls-key "$smtp_tls/server.key" \
    --username "$LEADRELAY_SMTP_USERNAME" --password "$LEADRELAY_SMTP_PASSWORD"
  launch meta-graph-standin "$py" -m standins.meta_graph --port "${ports[meta-graph-standin]}" \
    --access-token local-meta-page-token
  launch hubspot-standin "$py" -m standins.hubspot --port "${ports[hubspot-standin]}" --token "$LEADRELAY_HUBSPOT_TOKEN"
  launch salesforce-standin "$py" -m standins.salesforce --port "${ports[salesforce-standin]}" \
    --client-id "$LEADRELAY_SALESFORCE_CLIENT_ID" --client-secret "$LEADRELAY_SALESFORCE_CLIENT_SECRET"
  for s in "${services[@]}"; do
    if [ "$s" = insights ]; then
      # insights' console acts on route with its own key (ops:read, ops:write, claim).
      LEADRELAY_PORT=${ports[$s]} LEADRELAY_ROUTE_API_KEY=${CONSOLE_ROUTE_KEY:-local-console-key} \
        LEADRELAY_PUBLIC_URL=$(public_url "$s") launch "$s" "$py" -m "services.$s"
    else
      LEADRELAY_PORT=${ports[$s]} LEADRELAY_PUBLIC_URL=$(public_url "$s") launch "$s" "$py" -m "services.$s"
    fi
  done
  for s in "${standins[@]}"; do
    case $s in
      meta-graph-standin) wait_ready "$s" "http://127.0.0.1:${ports[$s]}/_standin/requests" ;;
      hubspot-standin) wait_ready "$s" "http://127.0.0.1:${ports[$s]}/_standin/contacts" ;;
      salesforce-standin) wait_ready "$s" "http://127.0.0.1:${ports[$s]}/_standin/leads" ;;
      *) wait_ready "$s" "http://127.0.0.1:${ports[$s]}/_standin/messages" ;;
    esac
  done
  for s in "${services[@]}"; do wait_ready "$s" "http://127.0.0.1:${ports[$s]}/readyz"; done
  echo "services: all ready; the console is at http://127.0.0.1:${ports[insights]}/console (key local-ops-key)"
}

stop() {
  for name in "${services[@]}" "${standins[@]}"; do
    if running "$name"; then
      kill "$(cat "$run/$name.pid")"
      for _ in $(seq 1 60); do running "$name" || break; sleep 0.5; done
      if running "$name"; then kill -9 "$(cat "$run/$name.pid")"; fi
      echo "$name: stopped"
    fi
    rm -f "$run/$name.pid"
  done
}

status() {
  for name in "${services[@]}" "${standins[@]}"; do
    if running "$name"; then echo "$name: running (pid $(cat "$run/$name.pid"))"; else echo "$name: stopped"; fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

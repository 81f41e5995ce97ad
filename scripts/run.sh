#!/usr/bin/env bash
# `make run`: migrate, seed the demo once, then run web + Celery worker + beat until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBUG="${DEBUG:-1}"
export PORT="${PORT:-8000}"
export PYTHONUNBUFFERED=1
PY=.venv/bin/python
mkdir -p .run/broker .run/broker-processed

$PY manage.py migrate --noinput
$PY manage.py seed_demo --once
if [ "${DEBUG}" != "1" ] && [ "${DEBUG,,}" != "true" ]; then
  $PY manage.py collectstatic --noinput >/dev/null
fi

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo; echo "Stopping Renewal Desk..."
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

.venv/bin/gunicorn config.wsgi:application --bind "127.0.0.1:${PORT}" --workers 2 --threads 4 \
  --timeout 120 --access-logfile - --access-logformat '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms' --log-level warning &
pids+=($!)
.venv/bin/celery -A config worker --loglevel WARNING --concurrency 2 --pool prefork &
pids+=($!)
.venv/bin/celery -A config beat --loglevel WARNING &
pids+=($!)

sleep 2
cat <<MSG

  Renewal Desk is running at http://127.0.0.1:${PORT}/

  Demo logins (password: ${DEMO_PASSWORD:-renewal-demo-2026})
    specialist1 ... specialist4   renewal specialists   -> My queue
    manager1                      manager               -> KPI dashboard
    support1, support2            support staff         -> Complaints

  Press Ctrl-C to stop the web server, the worker and beat.

MSG
wait -n "${pids[@]}"

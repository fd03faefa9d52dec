#!/bin/sh
# Entry point of the Maillage image.
#   web        migrate the database, then serve with gunicorn on port 8000 (the default). On
#              SIGTERM, requests under way get 60 s to finish (compose's stop_grace_period
#              for `app` is longer): time to receive and store a 1 GiB upload (docs/BENCHMARKS.md).
#   scheduler  run the periodic flask commands (docker/scheduler.py)
#   anything else is run as given, e.g. `flask rse create-admin admin@example.org`
set -eu

case "${1:-web}" in
web)
    flask db upgrade
    exec gunicorn \
        --workers "${GUNICORN_WORKERS:-4}" \
        --bind 0.0.0.0:8000 \
        --timeout "${GUNICORN_TIMEOUT:-120}" \
        --graceful-timeout 60 \
        --access-logfile - \
        'rse:create_app()'
    ;;
scheduler)
    exec python /app/docker/scheduler.py
    ;;
*)
    exec "$@"
    ;;
esac

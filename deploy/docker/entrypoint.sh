#!/bin/bash
# The image's entrypoint: the first argument is the role, the rest its arguments.
# TICKETING_DRY_RUN=1 prints the command instead of running it (the tests use it).
set -euo pipefail

HEALTH_URL_FILE=${TICKETING_HEALTH_URL_FILE:-/tmp/ticketing-health-url}
API_SERVICES=(auth tickets orders payments webhooks)
HTTP_SERVICES=(web "${API_SERVICES[@]}")

usage() {
    cat <<'USAGE'
usage: ticketing ROLE [ARGS...]

HTTP (gunicorn on 0.0.0.0:$PORT, default 8080):
  service NAME        an HTTP service: web, auth, tickets, orders, payments or webhooks
  web                 the same as `service web`
Workers:
  worker NAME         a worker of the local stack's table, e.g. orders-sweep, payments-actors
  relay SERVICE       the outbox relay of SERVICE's database
  consumer SERVICE    SERVICE's event consumer
  sweep               the orders expiry sweep
  reconciler          the payments reconciler
  scheduler           the expiration scheduler
  webhook-dispatcher  sends integrators' webhook deliveries and schedules retries
  dramatiq MODULE     a Dramatiq worker for MODULE (DRAMATIQ_PROCESSES, DRAMATIQ_THREADS)
One-shot:
  migrate SERVICE     create SERVICE's database if missing and upgrade it (DATABASE_URL)
Development only:
  stripe-standin      the local Stripe stand-in (STRIPE_STANDIN_PORT, default 12111; only in
                      images built with WITH_DEVTOOLS=true)
  nginx-config DIR    render the NGINX gateway configuration for docker-compose into DIR
  dev-keys DIR        make development JWT keys and SECRET_KEY under DIR (kept if present)

Environment: see README.md (Configuration); GUNICORN_WORKER_CLASS (gthread, or sync),
GUNICORN_THREADS (8), GUNICORN_WORKERS (1), GUNICORN_KEEPALIVE (75 s, above ingress-nginx's
60 s upstream keep-alive), GUNICORN_BACKLOG (4096), GUNICORN_CMD_ARGS (more gunicorn flags);
ADMISSION_MAX_WAIT_SECONDS (1): longer waits are answered 503 + Retry-After (docs/on-sale.md).
USAGE
}

fail() {
    echo "ticketing: $*" >&2
    echo "run 'ticketing help' for the roles" >&2
    exit 64
}

one_of() {
    local value=$1
    shift
    local candidate
    for candidate in "$@"; do
        [[ "$value" == "$candidate" ]] && return 0
    done
    return 1
}

run() {
    if [[ "${TICKETING_DRY_RUN:-}" == 1 ]]; then
        printf '%s\n' "$*"
        exit 0
    fi
    exec "$@"
}

# Leave the /healthz URL for the image's HEALTHCHECK (best effort: /tmp may be read-only).
health_url() {
    if [[ -n "$1" ]]; then
        printf '%s\n' "$1" >"$HEALTH_URL_FILE" 2>/dev/null || true
    else
        rm -f "$HEALTH_URL_FILE" 2>/dev/null || true
    fi
}

gunicorn_app() {
    local app=$1 class=${GUNICORN_WORKER_CLASS:-gthread}
    local threads=()
    [[ "$class" == gthread ]] && threads=(--threads "${GUNICORN_THREADS:-8}")
    run gunicorn --no-control-socket -k "$class" "${threads[@]}" -w "${GUNICORN_WORKERS:-1}" \
        -b "0.0.0.0:${PORT:-8080}" --graceful-timeout "${GUNICORN_GRACEFUL_TIMEOUT:-20}" \
        --keep-alive "${GUNICORN_KEEPALIVE:-75}" --backlog "${GUNICORN_BACKLOG:-4096}" "$app"
}

need() {
    local count=$1 role=$2
    shift 2
    (($# == count)) || fail "$role takes $count argument(s), got $#"
}

service() {
    need 1 service "$@"
    local name=$1
    one_of "$name" "${HTTP_SERVICES[@]}" ||
        fail "unknown service '$name' (one of: ${HTTP_SERVICES[*]})"
    health_url "http://127.0.0.1:${PORT:-8080}/healthz"
    if [[ "$name" == web ]]; then
        gunicorn_app 'web.app:create_app()'
    else
        gunicorn_app "api.${name}.app:create_app()"
    fi
}

dramatiq_worker() {
    need 1 dramatiq "$@"
    [[ "$1" =~ ^workers(\.[a-z_]+)+$ ]] || fail "dramatiq MODULE must be workers.<...>, got '$1'"
    health_url "$(worker_health_url)"
    run python -m dramatiq "$1" --processes "${DRAMATIQ_PROCESSES:-1}" \
        --threads "${DRAMATIQ_THREADS:-4}"
}

# A worker with WORKER_HEALTH_PORT serves /healthz there (workers/health_server.py).
worker_health_url() {
    if [[ -n "${WORKER_HEALTH_PORT:-}" ]]; then
        printf 'http://127.0.0.1:%s/healthz' "$WORKER_HEALTH_PORT"
    fi
}

# Roles of development images only (built with WITH_DEVTOOLS=true): refused by production ones.
development_only() {
    [[ -n ${TICKETING_DRY_RUN:-} ]] || python -c "import $1" 2>/dev/null \
        || fail "$1 is a development tool: build the image with WITH_DEVTOOLS=true"
}

python_module() {
    health_url "$(worker_health_url)"
    run python -m "$@"
}

# The names of devstack/services.py's WORKERS table (tests/charts keeps them in step).
worker() {
    need 1 worker "$@"
    case "$1" in
        *-relay) main relay "${1%-relay}" ;;
        *-consumer) main consumer "${1%-consumer}" ;;
        orders-sweep) main sweep ;;
        payments-reconciler) main reconciler ;;
        webhooks-dispatcher) main webhook-dispatcher ;;
        expiration-scheduler) main scheduler ;;
        *-actors) main dramatiq "workers.${1%-actors}.actors" ;;
        stripe) main stripe-standin ;;
        *) fail "unknown worker '$1'" ;;
    esac
}

main() {
    (($# > 0)) || set -- help
    local role=$1
    shift
    case "$role" in
        help | -h | --help) usage ;;
        service) service "$@" ;;
        web) need 0 web "$@" && service web ;;
        worker) worker "$@" ;;
        relay)
            need 1 relay "$@"
            one_of "$1" "${API_SERVICES[@]}" || fail "unknown service '$1'"
            python_module workers.relay "$1"
            ;;
        consumer)
            need 1 consumer "$@"
            one_of "$1" "${API_SERVICES[@]}" || fail "unknown service '$1'"
            python_module "workers.$1.consumer"
            ;;
        sweep) need 0 sweep "$@" && python_module workers.orders.sweep ;;
        reconciler) need 0 reconciler "$@" && python_module workers.payments.reconciler ;;
        scheduler) need 0 scheduler "$@" && python_module workers.expiration.scheduler ;;
        webhook-dispatcher)
            need 0 webhook-dispatcher "$@"
            python_module workers.webhooks.dispatcher
            ;;
        dramatiq) dramatiq_worker "$@" ;;
        migrate)
            need 1 migrate "$@"
            one_of "$1" "${API_SERVICES[@]}" || fail "unknown service '$1'"
            python_module common.db.migrate "$1"
            ;;
        stripe-standin)
            need 0 stripe-standin "$@"
            development_only devtools.stripe_standin
            python_module devtools.stripe_standin --host 0.0.0.0 \
                --port "${STRIPE_STANDIN_PORT:-12111}"
            ;;
        nginx-config)
            need 1 nginx-config "$@"
            development_only devstack.compose_support
            python_module devstack.compose_support nginx-config "$1"
            ;;
        dev-keys)
            need 1 dev-keys "$@"
            development_only devstack.compose_support
            python_module devstack.compose_support dev-keys "$1"
            ;;
        *) fail "unknown role '$role'" ;;
    esac
}

main "$@"

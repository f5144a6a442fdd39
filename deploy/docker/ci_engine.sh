#!/usr/bin/env bash
# Start a Docker engine for tests/integration/docker where one can run (Debian 12, root):
# Debian's docker.io, mmdebstrap for the bases, docker-compose. .ci/run calls it.
# Storage: overlay2 where the kernel allows it (image build ~25 s, compose up ~20 s), else vfs,
# which copies the whole tree for every layer and container (build ~550 s, up ~150 s).
# Never fails CI by itself: without an engine, the Docker tests skip and say why.
set -uo pipefail

log=${DOCKERD_LOG:-/var/log/ci-dockerd.log}

if docker info >/dev/null 2>&1; then
    echo "==> a Docker engine already answers"
    exit 0
fi
packages=(docker.io mmdebstrap docker-compose)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$package")
done
if ((${#missing[@]})); then
    echo "==> installing ${missing[*]}"
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } </dev/null; then
        echo "==> ${missing[*]} could not be installed: tests/docker will skip" >&2
        exit 0
    fi
fi
# dockerd exits at once when its storage driver cannot work here; then the next one is tried.
start_engine() {
    local driver=$1
    echo "==> starting dockerd ($driver)"
    nohup dockerd --storage-driver="$driver" >>"$log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 60); do
        if docker info >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 1
    done
    kill "$pid" 2>/dev/null
    return 1
}

for driver in overlay2 vfs; do
    if start_engine "$driver"; then
        exit 0
    fi
    echo "==> dockerd could not run with $driver (see $log)" >&2
done
echo "==> no Docker engine: the Docker tests will skip" >&2
exit 0

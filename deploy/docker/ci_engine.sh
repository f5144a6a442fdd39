#!/usr/bin/env bash
# Start a Docker engine for tests/docker where one can run (Debian 12, root): Debian's docker.io
# with the vfs storage driver (no overlayfs here), mmdebstrap for the bases, docker-compose.
# Never fails CI by itself: without an engine, tests/docker skips and says why.
# Proposed for .ci/run, after the data stores are up:   deploy/docker/ci_engine.sh
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
echo "==> starting dockerd (vfs)"
nohup dockerd --storage-driver=vfs >"$log" 2>&1 &
for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
        exit 0
    fi
    sleep 1
done
echo "==> dockerd did not start (see $log): tests/docker will skip" >&2
exit 0

#!/usr/bin/env bash
# Installs the Debian packages the tests use (each on its own, when missing), starts PostgreSQL,
# Redis and RabbitMQ when they are not answering, using the machine's own service commands, and
# waits until each one answers. With --kafka (the full test set-up) it also starts the local
# single-node Kafka broker of scripts/kafka.sh (the bus contract tests need it) and the local
# S3-compatible server of scripts/s3.sh (the storage and sync tests need it), and exits non-zero
# when a package the tests need could not be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local name=$1 port=$2 seconds=$3
  for _ in $(seq "$seconds"); do
    if port_open "$port"; then echo "$name answers on $port"; return 0; fi
    sleep 1
  done
  echo "ERROR: $name did not answer on 127.0.0.1:$port within ${seconds}s" >&2
  return 1
}

# shellcheck source=lib/apt.sh
source scripts/lib/apt.sh

# Debian packages the tests need, each installed on its own: kubectl, for one, is not in
# Debian bookworm, and one package apt-get cannot find must not stop the rest. Every package
# that is still missing is named with the tests that will fail without it.
missing=()

# need <package> <tests that fail without it> <check command...>
need() {
  local package=$1 tests=$2
  shift 2
  "$@" && return 0
  echo "installing $package"
  apt_install "$package" && "$@" && return 0
  echo "ERROR: could not install the Debian package '$package'; failing without it: $tests" >&2
  if [[ $package == kubectl ]]; then
    # Not in Debian (tried anyway, for derivatives and added repositories).
    echo "  install kubectl from the Kubernetes packages: https://kubernetes.io/docs/tasks/tools/" >&2
  fi
  missing+=("$package: $tests")
}
has_prometheus() { has_command prometheus && has_command promtool; }

# The ocr-worker tests read Debian's traineddata (OCR_LANG_PATH) and time the tesseract CLI.
need tesseract-ocr 'services/ocr-worker/test (tesseract-cli engine)' has_command tesseract
need tesseract-ocr-eng 'services/ocr-worker/test (OCR_LANG_PATH)' \
  test -f /usr/share/tesseract-ocr/5/tessdata/eng.traineddata
# test/ops runs real reverse proxies, Prometheus and promtool, docker-compose v1 (`config`) and
# `kubectl kustomize`.
need nginx 'test/ops/edge.test.ts' has_command nginx
need apache2 'test/ops/edge.test.ts' has_command apache2
need caddy 'test/ops/edge.test.ts' has_command caddy
need prometheus 'test/ops/edge.test.ts, test/ops/promtool.test.ts' has_prometheus
need docker-compose 'test/ops/compose.test.ts' has_command docker-compose
need kubectl 'test/ops/k8s.test.ts' has_command kubectl

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
for _ in $(seq 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
pg_isready -h 127.0.0.1 -p 5432

if ! port_open 6379; then
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
wait_port Redis 6379 30

if ! port_open 5672; then
  echo "starting RabbitMQ"
  rabbitmq-server -detached
fi
wait_port RabbitMQ 5672 90

# Like the services above, a broker or S3 server that already answers is used as it is (one
# started from another checkout, say); only a silent port gets a server of ours.
if [[ "${1:-}" == "--kafka" ]]; then
  if port_open "${KAFKA_PORT:-9092}"; then
    echo "Kafka answers on ${KAFKA_PORT:-9092}"
  else
    bash scripts/kafka.sh start
  fi
  # The S3-compatible server of the storage and sync tests (S3Proxy from Maven Central).
  if port_open "${S3_PORT:-9555}"; then
    echo "S3 answers on ${S3_PORT:-9555}"
  else
    bash scripts/s3.sh start
  fi
fi

# With --kafka (`make test`: everything the tests need) a missing package fails the set-up now,
# naming it, instead of as a failing suite after the build. Without it (`make run`, `make
# services`) it is a warning: the stack runs without proxies, Prometheus or kubectl.
if ((${#missing[@]} > 0)); then
  echo "Missing Debian packages (the services above are running):" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  [[ "${1:-}" == "--kafka" ]] && exit 1
  echo "WARNING: the stack runs without them; the tests listed above will fail" >&2
fi

#!/usr/bin/env bash
# Starts PostgreSQL, Redis and RabbitMQ when they are not answering, using the machine's own
# service commands, and waits until each one answers. With --kafka it also starts the local
# single-node Kafka broker of scripts/kafka.sh (the bus contract tests need it) and the local
# S3-compatible server of scripts/s3.sh (the storage and sync tests need it).
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

# The ocr-worker tests read Debian's traineddata (OCR_LANG_PATH) and time the tesseract CLI.
if ! command -v tesseract >/dev/null || [[ ! -f /usr/share/tesseract-ocr/5/tessdata/eng.traineddata ]]; then
  echo "installing tesseract-ocr"
  (apt-get install -y -q tesseract-ocr tesseract-ocr-eng >/dev/null 2>&1 ||
    (apt-get update -q >/dev/null && apt-get install -y -q tesseract-ocr tesseract-ocr-eng >/dev/null)) ||
    echo "WARNING: could not install tesseract-ocr; OCR_LANG_PATH tests will fail" >&2
fi

# The operations tests (test/ops) run real reverse proxies, Prometheus/promtool and
# docker-compose v1 (`docker-compose config`); each is installed once, skipped when present.
ops_packages=()
command -v nginx >/dev/null || ops_packages+=(nginx)
command -v apache2 >/dev/null || [[ -x /usr/sbin/apache2 ]] || ops_packages+=(apache2)
command -v caddy >/dev/null || ops_packages+=(caddy)
command -v promtool >/dev/null || ops_packages+=(prometheus)
command -v docker-compose >/dev/null || ops_packages+=(docker-compose)
command -v kubectl >/dev/null || ops_packages+=(kubectl) # `kubectl kustomize` renders k8s/
if ((${#ops_packages[@]} > 0)); then
  echo "installing ${ops_packages[*]}"
  (apt-get install -y -q --no-install-recommends "${ops_packages[@]}" >/dev/null 2>&1 ||
    (apt-get update -q >/dev/null &&
      apt-get install -y -q --no-install-recommends "${ops_packages[@]}" >/dev/null)) ||
    echo "WARNING: could not install ${ops_packages[*]}; test/ops will fail" >&2
fi

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

if [[ "${1:-}" == "--kafka" ]]; then
  bash scripts/kafka.sh start
  # The S3-compatible server of the storage and sync tests (S3Proxy from Maven Central).
  bash scripts/s3.sh start
fi

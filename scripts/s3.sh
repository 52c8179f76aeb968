#!/usr/bin/env bash
# A local S3-compatible server for tests and development: S3Proxy (org.gaul:s3proxy) with its
# filesystem-nio2 backend, resolved once from Maven Central; no Docker and no other download.
#   bash scripts/s3.sh start|stop|status|restart|resolve
#
# Multipart uploads, ranged GETs, server-side copy, ListObjectsV2 and ETags all work, which
# s3rver (npm) lacks. Everything can be moved with environment variables:
#   S3PROXY_VERSION (2.6.0)  S3_PORT (9555)  S3_HOME (<READUR_CACHE>/s3proxy, outside the
#   checkout, so every clone shares one server)
#   S3_STATE_DIR (<S3_HOME>/server-<port>)  S3_HEAP (256m)
#   S3_TEST_ACCESS_KEY (readur-test)  S3_TEST_SECRET_KEY (readur-test-secret-key)
# The keys are for this local test server only.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/apt.sh
source scripts/lib/apt.sh

VERSION=${S3PROXY_VERSION:-2.6.0}
PORT=${S3_PORT:-9555}
HOME_DIR=${S3_HOME:-$READUR_CACHE/s3proxy}
JAR="$HOME_DIR/$VERSION/s3proxy-$VERSION-jar-with-dependencies.jar"
STATE_DIR=${S3_STATE_DIR:-$HOME_DIR/server-$PORT}
PID_FILE="$STATE_DIR/s3proxy.pid"
LOG_FILE="$STATE_DIR/s3proxy.log"
START_SECONDS=${S3_START_SECONDS:-60}
ACCESS_KEY=${S3_TEST_ACCESS_KEY:-readur-test}
SECRET_KEY=${S3_TEST_SECRET_KEY:-readur-test-secret-key}

log() { echo "s3.sh: $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid=$(cat "$PID_FILE")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

# Copies the self-contained jar from Maven Central once.
resolve() {
  [[ -f "$JAR" ]] && return 0
  require_command mvn maven "resolving S3Proxy from Maven Central" || return 1
  log "resolving org.gaul:s3proxy:$VERSION into $HOME_DIR/$VERSION"
  mkdir -p "$HOME_DIR/$VERSION"
  mvn -q -B -Dstyle.color=never dependency:copy \
    -Dartifact="org.gaul:s3proxy:$VERSION:jar:jar-with-dependencies" \
    -DoutputDirectory="$HOME_DIR/$VERSION"
}

write_config() {
  mkdir -p "$STATE_DIR/data"
  cat >"$STATE_DIR/s3proxy.properties" <<PROPS
s3proxy.endpoint=http://127.0.0.1:$PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$ACCESS_KEY
s3proxy.credential=$SECRET_KEY
jclouds.provider=filesystem-nio2
jclouds.identity=$ACCESS_KEY
jclouds.credential=$SECRET_KEY
jclouds.filesystem.basedir=$STATE_DIR/data
PROPS
}

# Any HTTP answer (403 without credentials) means Jetty is serving.
answers() {
  curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/" 2>/dev/null | grep -q '^[1-5]'
}

start() {
  if pid=$(running_pid); then
    log "already running (pid $pid) on 127.0.0.1:$PORT"
    return 0
  fi
  if port_open "$PORT"; then
    log "ERROR: 127.0.0.1:$PORT is taken by a process this script did not start"
    return 1
  fi

  require_command java default-jre-headless "running S3Proxy" || return 1
  resolve
  write_config
  nohup java -Xmx"${S3_HEAP:-256m}" -XX:+UseSerialGC -Djava.awt.headless=true \
    -jar "$JAR" --properties "$STATE_DIR/s3proxy.properties" >>"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  log "starting (pid $!), log in $LOG_FILE"

  for _ in $(seq $((START_SECONDS * 4))); do
    if ! running_pid >/dev/null; then
      tail -n 40 "$LOG_FILE" >&2
      log "ERROR: the server exited during start-up"
      return 1
    fi
    if port_open "$PORT" && answers; then
      log "answers on http://127.0.0.1:$PORT (access key $ACCESS_KEY)"
      return 0
    fi
    sleep 0.25
  done
  log "ERROR: no answer on 127.0.0.1:$PORT within ${START_SECONDS}s; see $LOG_FILE"
  return 1
}

stop() {
  local pid
  if ! pid=$(running_pid); then
    log "not running"
    rm -f "$PID_FILE"
    return 0
  fi
  kill -TERM "$pid"
  for _ in $(seq 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "no clean shutdown within 15s; killing pid $pid"
    kill -KILL "$pid"
  fi
  rm -f "$PID_FILE"
  log "stopped"
}

status() {
  if pid=$(running_pid); then
    echo "running (pid $pid) on http://127.0.0.1:$PORT"
  else
    echo "stopped"
    return 3
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop && start ;;
  status) status ;;
  resolve) resolve ;;
  --help | -h | help)
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
    ;;
  *)
    echo "usage: $0 start|stop|restart|status|resolve|--help" >&2
    exit 2
    ;;
esac

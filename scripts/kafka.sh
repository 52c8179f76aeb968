#!/usr/bin/env bash
# A single-node KRaft Kafka broker for tests and development, with no Docker and no download
# other than Maven Central: `bash scripts/kafka.sh start|stop|status|restart`.
#
# The broker's jars are resolved once with Maven into ~/.cache/readur/kafka/<version>/lib
# (READUR_CACHE, outside the checkout, so every clone shares one broker). Everything
# can be moved with environment variables, so a test can run a second, throwaway broker:
#   KAFKA_VERSION (4.1.1)  KAFKA_PORT (9092)  KAFKA_CONTROLLER_PORT (9093)
#   KAFKA_HOME (<READUR_CACHE>/kafka)  KAFKA_STATE_DIR (<KAFKA_HOME>/broker-<port>)  KAFKA_HEAP (512m)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/apt.sh
source scripts/lib/apt.sh

VERSION=${KAFKA_VERSION:-4.1.1}
PORT=${KAFKA_PORT:-9092}
CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
HOME_DIR=${KAFKA_HOME:-$READUR_CACHE/kafka}
LIB_DIR="$HOME_DIR/$VERSION/lib"
STATE_DIR=${KAFKA_STATE_DIR:-$HOME_DIR/broker-$PORT}
PID_FILE="$STATE_DIR/kafka.pid"
LOG_FILE="$STATE_DIR/kafka.log"
START_SECONDS=${KAFKA_START_SECONDS:-90}

log() { echo "kafka.sh: $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid=$(cat "$PID_FILE")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

# Resolves kafka_2.13 and its runtime dependencies from Maven Central once.
resolve() {
  [[ -f "$LIB_DIR/.complete" ]] && return 0
  require_command mvn maven "resolving the Kafka broker from Maven Central" || return 1
  log "resolving org.apache.kafka:kafka_2.13:$VERSION into $LIB_DIR"
  mkdir -p "$HOME_DIR/$VERSION"
  cat >"$HOME_DIR/$VERSION/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>readur.local</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$VERSION</version>
    </dependency>
    <!-- Pinned: Maven's nearest-wins would otherwise pick slf4j 1.7 and the broker logs nothing. -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-api</artifactId>
      <version>2.0.16</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>2.24.3</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j2-impl</artifactId>
      <version>2.24.3</version>
    </dependency>
  </dependencies>
</project>
POM
  rm -rf "$LIB_DIR"
  mvn -q -B -Dstyle.color=never -f "$HOME_DIR/$VERSION/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIB_DIR"
  touch "$LIB_DIR/.complete"
}

JAVA_OPTS=(-Xmx"${KAFKA_HEAP:-512m}" -Xms128m -XX:+UseG1GC -Djava.awt.headless=true)

kafka_java() {
  java "${JAVA_OPTS[@]}" -Dlog4j2.configurationFile="$STATE_DIR/log4j2.properties" \
    -cp "$LIB_DIR/*" "$@"
}

write_config() {
  mkdir -p "$STATE_DIR/data"
  cat >"$STATE_DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$STATE_DIR/data
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# OCR results can be large.
message.max.bytes=16777216
replica.fetch.max.bytes=16777216
socket.request.max.bytes=104857600
PROPS
  cat >"$STATE_DIR/log4j2.properties" <<LOG4J
rootLogger.level=INFO
rootLogger.appenderRef.stdout.ref=STDOUT
appender.stdout.type=Console
appender.stdout.name=STDOUT
appender.stdout.layout.type=PatternLayout
appender.stdout.layout.pattern=[%d] %p %m (%c)%n
logger.kafka.name=kafka
logger.kafka.level=INFO
logger.apache.name=org.apache.kafka
logger.apache.level=WARN
LOG4J
}

format_storage() {
  [[ -f "$STATE_DIR/data/meta.properties" ]] && return 0
  local cluster_id
  cluster_id=$(kafka_java kafka.tools.StorageTool random-uuid)
  log "formatting KRaft storage in $STATE_DIR/data (cluster $cluster_id)"
  kafka_java kafka.tools.StorageTool format --standalone -t "$cluster_id" \
    -c "$STATE_DIR/server.properties" >>"$LOG_FILE" 2>&1
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

  require_command java default-jre-headless "running the Kafka broker" || return 1
  resolve
  write_config
  format_storage

  local marker
  marker=$(wc -l <"$LOG_FILE" 2>/dev/null || echo 0)
  nohup java "${JAVA_OPTS[@]}" -Dlog4j2.configurationFile="$STATE_DIR/log4j2.properties" \
    -cp "$LIB_DIR/*" kafka.Kafka "$STATE_DIR/server.properties" >>"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  log "starting (pid $!), log in $LOG_FILE"

  for _ in $(seq $((START_SECONDS * 4))); do
    if ! running_pid >/dev/null; then
      tail -n 40 "$LOG_FILE" >&2
      log "ERROR: the broker exited during start-up"
      return 1
    fi
    if port_open "$PORT" && tail -n +"$((marker + 1))" "$LOG_FILE" | grep -q 'Kafka Server started'; then
      log "answers on 127.0.0.1:$PORT"
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
  for _ in $(seq 120); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "no clean shutdown within 30s; killing pid $pid"
    kill -KILL "$pid"
  fi
  rm -f "$PID_FILE"
  log "stopped"
}

status() {
  if pid=$(running_pid); then
    echo "running (pid $pid) on 127.0.0.1:$PORT"
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
  *)
    echo "usage: $0 start|stop|restart|status|resolve" >&2
    exit 2
    ;;
esac

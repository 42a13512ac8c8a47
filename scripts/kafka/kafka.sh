#!/usr/bin/env bash
# Fetch, format and run a single Apache Kafka broker in KRaft combined mode.
# Usage: scripts/kafka/kafka.sh {fetch|start|stop|status}
# Data lives under $PULSE_LOCAL (default .local/) so `make clean-services` wipes it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
local_dir=${PULSE_LOCAL:-$root/.local}
# KAFKA_LIBS: jars fetched elsewhere (a test's private broker reuses the repo's).
libs=${KAFKA_LIBS:-$local_dir/kafka/libs}
data=$local_dir/kafka/data
conf=$local_dir/kafka/server.properties
pidfile=$local_dir/kafka/kafka.pid
log=$local_dir/kafka/kafka.log
port=${KAFKA_PORT:-9092}
controller_port=${KAFKA_CONTROLLER_PORT:-9093}

fetch() {
  if ls "$libs"/kafka_2.13-*.jar >/dev/null 2>&1; then return 0; fi
  echo "fetching Kafka jars from Maven Central into $libs"
  mvn -q -B -f "$root/scripts/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$libs" -DincludeScope=runtime
}

write_config() {
  mkdir -p "$data"
  cat >"$conf" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
# One broker: the internal topics cannot be replicated, and transactions need them.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# Created when the first transactional producer starts: 50 partitions (the default) took seconds
# of the first exactly-once start on a fresh broker; one node needs few.
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Tests and the demo join groups often; the 3 s default delay only slows them down.
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.check.interval.ms=60000
PROPS
}

java_cmd() {
  local cp
  cp=$(printf '%s:' "$libs"/*.jar)
  echo java -Xms256m -Xmx1g -XX:+UseG1GC -Dlog4j2.level=WARN -cp "$cp"
}

running() { [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

ready() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

start() {
  # A broker already answering on the port (ours, or one the user runs) is used as it is.
  if ready; then echo "kafka already running on 127.0.0.1:$port"; return 0; fi
  fetch
  write_config
  if [[ ! -f $data/meta.properties ]]; then
    local cluster_id
    cluster_id=$($(java_cmd) kafka.tools.StorageTool random-uuid)
    $(java_cmd) kafka.tools.StorageTool format -t "$cluster_id" -c "$conf" >/dev/null
  fi
  nohup $(java_cmd) kafka.Kafka "$conf" >"$log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 120); do
    if ready; then echo "kafka ready on 127.0.0.1:$port"; return 0; fi
    running || { echo "kafka exited; see $log" >&2; tail -20 "$log" >&2; return 1; }
    sleep 0.5
  done
  echo "kafka did not become ready in 60 s; see $log" >&2
  return 1
}

stop() {
  if running; then
    kill "$(cat "$pidfile")"
    for _ in $(seq 1 60); do running || break; sleep 0.5; done
    running && kill -9 "$(cat "$pidfile")"
  fi
  rm -f "$pidfile"
  echo "kafka stopped"
}

status() { if running && ready; then echo "kafka up"; else echo "kafka down"; return 1; fi; }

case ${1:-} in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 {fetch|start|stop|status}" >&2; exit 2 ;;
esac

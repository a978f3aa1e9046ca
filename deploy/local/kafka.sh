#!/usr/bin/env bash
# Local single-node Kafka (KRaft) under .local/kafka: install | start | stop | status.
# Jars come from Maven Central via pom.xml; state, logs and the pid file stay in the ignored .local/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${LEADRELAY_KAFKA_DIR:-$root/.local/kafka}
port=${LEADRELAY_KAFKA_PORT:-9192}
controller_port=$((port + 1))
libs=$dir/libs
pidfile=$dir/kafka.pid

install() {
  if [ -f "$libs/kafka_2.13-4.3.1.jar" ] && [ -f "$libs/kafka-tools-4.3.1.jar" ]; then return 0; fi
  command -v java >/dev/null || { echo "kafka.sh: java is required (JDK 17+)" >&2; exit 1; }
  command -v mvn >/dev/null || { echo "kafka.sh: mvn is required to fetch the Kafka jars" >&2; exit 1; }
  echo "kafka: fetching Kafka 4.3.1 jars from Maven Central into $libs"
  mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs"
}

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

start() {
  install
  if running; then echo "kafka: already running (pid $(cat "$pidfile"), port $port)"; return 0; fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "kafka.sh: port $port is taken by a process this checkout did not start; stop it or set LEADRELAY_KAFKA_PORT" >&2
    exit 1
  fi
  mkdir -p "$dir/data" "$dir/logs"
  sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$controller_port|g" \
    "$here/kafka/server.properties.template" > "$dir/server.properties"
  if [ ! -f "$dir/data/meta.properties" ]; then
    java -cp "$libs/*" kafka.tools.StorageTool format --standalone \
      -t "$(java -cp "$libs/*" kafka.tools.StorageTool random-uuid)" \
      -c "$dir/server.properties" >"$dir/logs/format.log" 2>&1
  fi
  nohup java -Xms256m -Xmx512m -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$here/kafka/log4j2.properties" -Dkafka.logs.dir="$dir/logs" \
    -cp "$libs/*" kafka.Kafka "$dir/server.properties" >"$dir/logs/stdout.log" 2>&1 &
  echo $! >"$pidfile"
  echo "kafka: started (pid $!, 127.0.0.1:$port)"
}

stop() {
  if ! running; then rm -f "$pidfile"; echo "kafka: not running"; return 0; fi
  pid=$(cat "$pidfile")
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  echo "kafka: stopped"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) if running; then echo "kafka: running (pid $(cat "$pidfile"))"; else echo "kafka: stopped"; exit 1; fi ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac

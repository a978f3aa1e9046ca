#!/usr/bin/env bash
# Local Kafka (KRaft) under .local/kafka: install | start | stop | status, and for fault tests
# kill-node N | start-node N. One combined broker+controller by default; `--brokers 3` (or
# LEADRELAY_KAFKA_BROKERS=3) runs a 3-node cluster, node i on port + 10*(i-1), with replication
# factor 3 and min.insync.replicas=2 as defaults, so one node can die without losing a write.
# Jars come from Maven Central via pom.xml; state, logs and pid files stay in the ignored .local/.
#
# `--secure` runs the broker the way managed Kafka runs: one SASL_SSL listener (SCRAM-SHA-512) with a
# certificate from a local CA (openssl, under $dir/tls), one SCRAM user per leadrelay service plus
# `ops` and the super user `admin`, created at format time (passwords in $dir/credentials), and the
# StandardAuthorizer with no access unless an ACL grants it (`leadrelay acl apply`). Its defaults:
# .local/kafka-secure on port 9292. The controller listener stays PLAINTEXT on 127.0.0.1 (KRaft
# controllers cannot use SCRAM), so its ANONYMOUS principal is a super user: local use only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
brokers=${LEADRELAY_KAFKA_BROKERS:-1}
secure=0
while [ $# -gt 0 ]; do
  case $1 in
    --brokers) brokers=$2; shift 2 ;;
    --secure) secure=1; shift ;;
    *) break ;;
  esac
done
if [ "$secure" = 1 ]; then
  dir=${LEADRELAY_KAFKA_DIR:-$root/.local/kafka-secure}
  port=${LEADRELAY_KAFKA_PORT:-9292}
else
  dir=${LEADRELAY_KAFKA_DIR:-$root/.local/kafka}
  port=${LEADRELAY_KAFKA_PORT:-9192}
fi
libs=$root/.local/kafka/libs
principals=(admin ops capture enrich score route notify insights outbound)

install() {
  if [ -f "$libs/kafka_2.13-4.3.1.jar" ] && [ -f "$libs/kafka-tools-4.3.1.jar" ]; then return 0; fi
  command -v java >/dev/null || { echo "kafka.sh: java is required (JDK 17+)" >&2; exit 1; }
  command -v mvn >/dev/null || { echo "kafka.sh: mvn is required to fetch the Kafka jars" >&2; exit 1; }
  echo "kafka: fetching Kafka 4.3.1 jars from Maven Central into $libs"
  mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs"
}

node_dir() { if [ "$brokers" -eq 1 ]; then echo "$dir"; else echo "$dir/node$1"; fi; }
node_port() { echo $((port + 10 * ($1 - 1))); }
pidfile() { echo "$(node_dir "$1")/kafka.pid"; }
# A pid file can outlive its process and the pid be reused (a killed test session): the pid counts
# only while it is still this node's broker, started with this node's server.properties.
running() {
  local f pid
  f=$(pidfile "$1"); [ -f "$f" ] || return 1
  pid=$(cat "$f"); kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$(node_dir "$1")/server.properties"
}

voters() {
  local v="" i
  for i in $(seq 1 "$brokers"); do v="$v${v:+,}$i@127.0.0.1:$(($(node_port "$i") + 1))"; done
  echo "$v"
}

configure() {
  local i=$1 d p rf isr
  d=$(node_dir "$i"); p=$(node_port "$i")
  rf=$((brokers < 3 ? brokers : 3)); isr=$((rf > 1 ? 2 : 1))
  mkdir -p "$d/data" "$d/logs"
  sed -e "s|@DIR@|$d|g" -e "s|@PORT@|$p|g" -e "s|@CONTROLLER_PORT@|$((p + 1))|g" -e "s|@NODE_ID@|$i|g" \
    -e "s|@REPLICATION@|$rf|g" -e "s|@MIN_ISR@|$isr|g" \
    "$here/kafka/server.properties.template" > "$d/server.properties"
  if [ "$brokers" -gt 1 ]; then
    sed -i -e '/^controller.quorum.bootstrap.servers=/d' "$d/server.properties"
    echo "controller.quorum.voters=$(voters)" >> "$d/server.properties"
  fi
  if [ "$secure" = 1 ]; then secure_properties "$d" "$p"; fi
}

# A CA and a broker certificate for 127.0.0.1/localhost (certs.sh), and the PEM keystore Kafka reads.
certificates() {
  local t=$dir/tls
  [ -f "$t/broker-keystore.pem" ] && return 0
  "$here/certs.sh" "$t" "leadrelay local Kafka CA"
  openssl pkcs8 -topk8 -nocrypt -in "$t/server.key" -out "$t/server.pk8"
  cat "$t/server.pk8" "$t/server.crt" > "$t/broker-keystore.pem"
  chmod 600 "$t/server.pk8" "$t/broker-keystore.pem"
}

# One random password per principal, made once; `name password` per line.
credentials() {
  local f=$dir/credentials name
  [ -f "$f" ] && return 0
  mkdir -p "$dir"
  for name in "${principals[@]}"; do echo "$name $(openssl rand -hex 16)"; done > "$f"
  chmod 600 "$f"
}

password_of() { awk -v n="$1" '$1 == n {print $2}' "$dir/credentials"; }

secure_properties() {
  local d=$1 p=$2 t=$dir/tls
  sed -i -e '/^listeners=/d' -e '/^advertised.listeners=/d' -e '/^inter.broker.listener.name=/d' \
    -e '/^listener.security.protocol.map=/d' "$d/server.properties"
  cat >> "$d/server.properties" <<PROPS
listeners=SASL_SSL://127.0.0.1:$p,CONTROLLER://127.0.0.1:$((p + 1))
advertised.listeners=SASL_SSL://127.0.0.1:$p
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT
inter.broker.listener.name=SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(password_of admin)";
ssl.keystore.type=PEM
ssl.keystore.location=$t/broker-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$t/ca.crt
ssl.client.auth=none
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:ANONYMOUS
PROPS
}

scram_args() {
  local name
  for name in "${principals[@]}"; do
    printf '%s\n' --add-scram "SCRAM-SHA-512=[name=$name,password=$(password_of "$name")]"
  done
}

format() {
  local i=$1 d cluster
  d=$(node_dir "$i")
  [ -f "$d/data/meta.properties" ] && return 0
  local scram=()
  if [ "$secure" = 1 ]; then mapfile -t scram < <(scram_args); fi
  if [ "$brokers" -eq 1 ]; then
    java -cp "$libs/*" kafka.tools.StorageTool format --standalone \
      -t "$(java -cp "$libs/*" kafka.tools.StorageTool random-uuid)" "${scram[@]}" \
      -c "$d/server.properties" >"$d/logs/format.log" 2>&1
  else
    [ -f "$dir/cluster.id" ] || java -cp "$libs/*" kafka.tools.StorageTool random-uuid > "$dir/cluster.id"
    java -cp "$libs/*" kafka.tools.StorageTool format -t "$(cat "$dir/cluster.id")" "${scram[@]}" \
      -c "$d/server.properties" >"$d/logs/format.log" 2>&1
  fi
}

start_node() {
  local i=$1 d p
  d=$(node_dir "$i"); p=$(node_port "$i")
  if running "$i"; then echo "kafka: node $i already running (pid $(cat "$(pidfile "$i")"), port $p)"; return 0; fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "kafka.sh: port $p is taken by a process this checkout did not start; stop it or set LEADRELAY_KAFKA_PORT" >&2
    exit 1
  fi
  if [ "$secure" = 1 ]; then certificates; credentials; fi
  configure "$i"
  format "$i"
  nohup java -Xms256m -Xmx512m -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$here/kafka/log4j2.properties" -Dkafka.logs.dir="$d/logs" \
    -cp "$libs/*" kafka.Kafka "$d/server.properties" >"$d/logs/stdout.log" 2>&1 &
  echo $! >"$(pidfile "$i")"
  echo "kafka: node $i started (pid $!, 127.0.0.1:$p)"
}

stop_node() {
  local i=$1 pid
  if ! running "$i"; then rm -f "$(pidfile "$i")"; return 0; fi
  pid=$(cat "$(pidfile "$i")")
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$(pidfile "$i")"
}

kill_node() {
  local i=$1
  if running "$i"; then kill -9 "$(cat "$(pidfile "$i")")"; fi
  rm -f "$(pidfile "$i")"
  echo "kafka: node $i SIGKILLed"
}

start() { install; for i in $(seq 1 "$brokers"); do start_node "$i"; done; }
stop() { for i in $(seq "$brokers" -1 1); do stop_node "$i"; done; echo "kafka: stopped"; }
status() {
  local up=0 i
  for i in $(seq 1 "$brokers"); do if running "$i"; then up=$((up + 1)); fi; done
  if [ "$up" -eq "$brokers" ]; then echo "kafka: running ($up of $brokers nodes)"; else echo "kafka: $up of $brokers nodes running"; exit 1; fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  kill-node) kill_node "${2:?node number}" ;;
  start-node) install; start_node "${2:?node number}" ;;
  *) echo "usage: $0 [--brokers N] [--secure] install|start|stop|status|kill-node N|start-node N" >&2; exit 2 ;;
esac

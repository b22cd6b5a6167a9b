#!/usr/bin/env bash
# A real single-node Kafka (KRaft, broker + controller in one JVM) for the demo and the benchmarks,
# from the org.apache.kafka:kafka_2.13 artifacts on Maven Central: Kafka has no Debian package.
# The transport's tests do not need it: they start their own broker.
#   bash scripts/kafka.sh start    # listens on 127.0.0.1:${PARLEY_KAFKA_PORT:-9092}; no-op if it already answers
#   bash scripts/kafka.sh stop
# State (data, log, pid) lives in ${PARLEY_KAFKA_DIR:-/tmp/parley-kafka}, formatted fresh at each start and
# removed by stop.
set -euo pipefail
cd "$(dirname "$0")"
port="${PARLEY_KAFKA_PORT:-9092}"
controller_port="${PARLEY_KAFKA_CONTROLLER_PORT:-9093}"
dir="${PARLEY_KAFKA_DIR:-/tmp/parley-kafka}"
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stop() {
    if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
        kill "$(cat "$dir/pid")"
        for _ in $(seq 1 30); do kill -0 "$(cat "$dir/pid")" 2>/dev/null || break; sleep 1; done
        kill -9 "$(cat "$dir/pid")" 2>/dev/null || true
        echo "kafka.sh: stopped the broker on 127.0.0.1:$port"
    fi
    rm -rf "$dir" # what start made: data, log, class path
}

start() {
    if port_open "$port"; then
        echo "kafka.sh: something already listens on 127.0.0.1:$port; using it"
        return 0
    fi
    stop
    rm -rf "$dir" && mkdir -p "$dir/data"
    mvn -B -q -ntp -f kafka/pom.xml dependency:build-classpath -Dmdep.outputFile="$dir/classpath" >/dev/null
    cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
    local cp java_opts=(-Xms512m -Xmx1g -XX:+UseG1GC -Dorg.slf4j.simpleLogger.defaultLogLevel=warn)
    cp="$(cat "$dir/classpath")"
    java "${java_opts[@]}" -cp "$cp" kafka.tools.StorageTool format --standalone \
        -t "$(java -cp "$cp" kafka.tools.StorageTool random-uuid)" -c "$dir/server.properties" >"$dir/format.log" 2>&1
    nohup java "${java_opts[@]}" -cp "$cp" kafka.Kafka "$dir/server.properties" >"$dir/broker.log" 2>&1 &
    echo $! >"$dir/pid"
    for _ in $(seq 1 60); do
        if port_open "$port"; then echo "kafka.sh: Kafka answers on 127.0.0.1:$port (log: $dir/broker.log)"; return 0; fi
        kill -0 "$(cat "$dir/pid")" 2>/dev/null || { echo "kafka.sh: the broker died; see $dir/broker.log" >&2; tail -20 "$dir/broker.log" >&2; exit 1; }
        sleep 1
    done
    echo "kafka.sh: no answer on 127.0.0.1:$port within 60 s; see $dir/broker.log" >&2
    exit 1
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: bash scripts/kafka.sh start|stop" >&2; exit 2 ;;
esac

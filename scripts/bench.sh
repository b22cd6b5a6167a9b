#!/usr/bin/env bash
# Runs the request/reply benchmarks (Parley vs the raw clients vs Spring) on every broker present:
# the command README.md gives under "Benchmarks". Starts a local Kafka (scripts/kafka.sh) unless
# PARLEY_KAFKA_URI names one, and stops it again if it started it. Results: benchmarks/target/benchmark-results.md
# Arguments go to the harness, e.g. bash scripts/bench.sh --brokers nats,redis --rounds 5 (--help lists them).
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/environment.sh

started_kafka=no
wants_kafka=yes
case " $* " in *" --brokers "*) [[ " $* " == *kafka* ]] || wants_kafka=no ;; esac
if [ "$wants_kafka" = yes ] && [ -z "${PARLEY_KAFKA_URI:-}" ] && ! port_open "${PARLEY_KAFKA_PORT:-9092}"; then
    bash scripts/kafka.sh start
    started_kafka=yes
fi
trap '[ "$started_kafka" = yes ] && bash scripts/kafka.sh stop' EXIT

mvn -B -q -ntp -Dstyle.color=never -Pbench -pl benchmarks -am package -DskipTests -Dbench.args="$*"

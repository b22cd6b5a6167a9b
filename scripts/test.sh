#!/usr/bin/env bash
# Runs every test: the command README.md gives under "Run every test", and what CI runs (.ci/run).
# Needs Java 17+ and Maven 3.8+ and nothing else (on Debian: apt-get install openjdk-17-jdk-headless maven).
# Extra arguments go to Maven, e.g. bash scripts/test.sh -pl api -am
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v mvn >/dev/null 2>&1; then
    echo "scripts/test.sh: Maven (mvn) is not on the PATH; install Maven 3.8+ and Java 17+." >&2
    exit 127
fi

# Brokers: the memory:// transport needs none. When the NATS, RabbitMQ, Redis and Kafka transports
# land, this is where their brokers get ensured (the one already running, or a private one started
# from the local binary) before Maven runs their *IT tests.

mvn -B -ntp -Dstyle.color=never verify "$@"

#!/usr/bin/env bash
# Runs every test: the command README.md gives under "Run every test", and what CI runs (.ci/run).
# Needs Java 17+ and Maven 3.8+ and nothing else; as root on Debian it installs them when missing.
# Extra arguments go to Maven, e.g. bash scripts/test.sh -pl api -am
set -euo pipefail
cd "$(dirname "$0")/.."

# A fresh Debian machine (root) gets Java 17 and Maven from its packages; elsewhere, say what is missing.
if ! command -v mvn >/dev/null 2>&1 || ! command -v javac >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && apt-get install -y -qq openjdk-17-jdk-headless maven >/dev/null
    else
        echo "scripts/test.sh: Maven 3.8+ (mvn) and a Java 17+ JDK (javac) must be on the PATH." >&2
        exit 127
    fi
fi

# Brokers: the memory:// transport needs none. When the NATS, RabbitMQ, Redis and Kafka transports
# land, this is where their brokers get ensured (the one already running, or a private one started
# from the local binary) before Maven runs their *IT tests.

mvn -B -ntp -Dstyle.color=never verify "$@"

#!/usr/bin/env bash
# Runs every test: the command README.md gives under "Run every test", and what CI runs (.ci/run).
# Needs Java 17+, Maven 3.8+, redis-server, nats-server, rabbitmq-server and mosquitto; as root on Debian it
# installs whatever is missing and starts the brokers that are not running.
# Extra arguments go to Maven, e.g. bash scripts/test.sh -pl api -am
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/environment.sh

# install, not just verify: tck/setup-example, a third party's test module, builds against the artifacts
mvn -B -ntp -Dstyle.color=never install "$@"

if [ $# -eq 0 ]; then
    # The kit's documented test-module set-up runs the kit's rules (a set-up that runs none fails).
    bash scripts/kit-setup-check.sh
    # The published artifacts (jars, sources, javadoc, POMs) build byte for byte the same twice.
    bash scripts/reproducible.sh
fi

#!/usr/bin/env bash
# Runs the RPC demo: the first command of README.md. Needs nothing but this repository: on a fresh
# Debian machine (as root) it installs Java 17 and Maven first, as scripts/test.sh does.
#   bash scripts/demo.sh                                   # on memory://, no broker needed
#   bash scripts/demo.sh nats://127.0.0.1:4222             # or amqp://, redis://, kafka:// (a running broker)
# It exits non-zero when a step of the demo does not get what it expects.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh
uri="${1:-memory://demo}"
exec mvn -B -q -ntp -Pdemo -pl examples -am package -DskipTests -Ddemo.uri="$uri"

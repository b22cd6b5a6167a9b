#!/usr/bin/env bash
# The whole test suite: what README.md calls "run every test" and what CI (.ci/run) runs.
# Needs Java 17+ and Maven 3.8+. The memory:// transport needs no broker; when the broker
# transports land, this script is where their brokers get installed and started.
set -euo pipefail
cd "$(dirname "$0")/.."

mvn -B -ntp -Dstyle.color=never verify "$@"

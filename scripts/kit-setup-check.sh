#!/usr/bin/env bash
# Builds tck/setup-example, the test-module set-up tck/README.md gives a third party, against the
# Parley artifacts this build installed, and fails unless the kit's rules ran there: a set-up that
# runs zero rules must never pass. Run by scripts/test.sh after `mvn install`.
set -euo pipefail
cd "$(dirname "$0")/.."
example=tck/setup-example
# README shows the example's blocks: they must not drift apart
for block in dependencies failsafe; do
    snippet="$(sed -n "/<!-- kit:$block -->/,/<!-- \/kit:$block -->/p" "$example/pom.xml" | sed '1d;$d' | sed 's/^ *//')"
    readme="$(sed 's/^ *//' tck/README.md)"
    if [[ "$readme" != *"$snippet"* ]]; then
        echo "kit-setup-check.sh: tck/README.md no longer shows the <!-- kit:$block --> block of $example/pom.xml" >&2
        exit 1
    fi
done
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! mvn -B -ntp -Dstyle.color=never -f "$example/pom.xml" clean verify >"$log" 2>&1; then
    tail -60 "$log" >&2
    echo "kit-setup-check.sh: the example module of tck/README.md failed to build or test (output above)" >&2
    exit 1
fi
summary="$example/target/failsafe-reports/failsafe-summary.xml"
completed="$(sed -n 's:.*<completed>\([0-9]*\)</completed>.*:\1:p' "$summary")"
skipped="$(sed -n 's:.*<skipped>\([0-9]*\)</skipped>.*:\1:p' "$summary")"
if [ -z "$completed" ] || [ $((completed - skipped)) -lt 40 ]; then
    echo "kit-setup-check.sh: the example ran ${completed:-no} kit rules (${skipped:-?} skipped); expected them all" >&2
    exit 1
fi
echo "kit-setup-check.sh: the documented set-up ran $((completed - skipped)) kit rules ($skipped skipped)"

#!/usr/bin/env bash
# Checks that the published artifacts build reproducibly: two clean builds of this tree must give
# byte-identical jars (classes, sources, javadoc) and POMs. Run by scripts/test.sh after the tests;
# needs only Java and Maven. The time in every jar entry is project.build.outputTimestamp (pom.xml).
set -euo pipefail
cd "$(dirname "$0")/.."
published=bom,api,tck,transport-nats,transport-rabbit,transport-redis,transport-kafka,transport-mqtt
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# the BOM has no parent (it must not manage the build's own dependencies): it moves with it by hand
parent_version="$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -1)"
bom_version="$(sed -n 's:^  <version>\(.*\)</version>:\1:p' bom/pom.xml | head -1)"
if [ "$parent_version" != "$bom_version" ]; then
    echo "reproducible.sh: bom/pom.xml has version $bom_version, the parent $parent_version" >&2
    exit 1
fi

for run in 1 2; do
    mvn -B -q -ntp -Dstyle.color=never clean package -DskipTests -pl "$published"
    mkdir -p "$out/$run"
    for module in ${published//,/ }; do
        cp "$module"/target/*.jar "$out/$run/" 2>/dev/null || true
        cp "$module/pom.xml" "$out/$run/$module.pom"
    done
    [ "$run" = 1 ] && sleep 2 # so that anything stamped with the clock would differ
done

count=0
for file in "$out"/1/*; do
    name="$(basename "$file")"
    if ! cmp -s "$file" "$out/2/$name"; then
        echo "reproducible.sh: $name differs between two builds of the same tree" >&2
        exit 1
    fi
    count=$((count + 1))
done
echo "reproducible.sh: $count artifacts, byte-identical over two builds"

# Sourced by scripts/demo.sh and scripts/environment.sh: makes sure Java 17+ and Maven 3.8+ are there.
# A fresh Debian machine (as root) gets them from its packages; elsewhere it says what is missing.
me="scripts/$(basename "$0")"
if ! command -v mvn >/dev/null 2>&1 || ! command -v javac >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "$me: installing Java 17 and Maven from Debian's packages"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless maven >/dev/null
    else
        echo "$me: Maven 3.8+ (mvn) and a Java 17+ JDK (javac) must be on the PATH." >&2
        exit 127
    fi
fi

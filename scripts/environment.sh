# Sourced by scripts/test.sh and scripts/bench.sh: makes sure Java, Maven and the brokers are there.
# On a fresh Debian machine as root it installs what is missing from Debian's packages and starts the
# brokers that are not answering (the packages' own service start does not work in a container).
# Elsewhere it says what is missing. The messages name the calling script.
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"

# Brokers. The transports' *IT tests talk to real brokers: RabbitMQ on 127.0.0.1:5672 (guest/guest),
# NATS with JetStream on 127.0.0.1:4222, Redis on 127.0.0.1:6379 and Mosquitto (MQTT 5) on 127.0.0.1:1883
# (override with PARLEY_RABBIT_URI, PARLEY_NATS_URI, PARLEY_REDIS_URI, PARLEY_MQTT_URI). Outage tests also
# start private instances from the same binaries.
# Kafka needs nothing here: its tests start a real KRaft broker from Maven's kafka_2.13 artifacts.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { # port, seconds, name
    for _ in $(seq 1 "$2"); do port_open "$1" && return 0; sleep 1; done
    echo "$me: $3 did not open port $1 within $2 s" >&2; exit 1
}
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
command -v rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
command -v mosquitto_rr >/dev/null 2>&1 || missing+=(mosquitto-clients)   # the MQTT interop test's plain client
command -v openssl >/dev/null 2>&1 || missing+=(openssl)   # the TLS tests make their own CA with it
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "$me: installing ${missing[*]}"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "$me: ${missing[*]} not found; install them (Debian: apt-get install ${missing[*]})." >&2
        exit 127
    fi
fi
# Debian's packages cannot start their services in a container, so start any that is not answering.
if [ -z "${PARLEY_REDIS_URI:-}" ] && ! port_open 6379; then
    echo "$me: starting redis-server on 127.0.0.1:6379 (it keeps running; stop it with: redis-cli -p 6379 shutdown nosave)"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    wait_port 6379 20 redis-server
fi
if [ -z "${PARLEY_NATS_URI:-}" ] && ! port_open 4222; then
    echo "$me: starting nats-server (JetStream) on 127.0.0.1:4222 (it keeps running; stop it with: pkill -f 'nats-server -a 127.0.0.1 -p 4222')"
    mkdir -p /tmp/parley-nats-js
    nohup nats-server -a 127.0.0.1 -p 4222 -js -sd /tmp/parley-nats-js >/tmp/parley-nats-server.log 2>&1 &
    wait_port 4222 20 nats-server
fi
if [ -z "${PARLEY_RABBIT_URI:-}" ] && ! port_open 5672; then
    echo "$me: starting rabbitmq-server on 127.0.0.1:5672 (it keeps running; stop it with: rabbitmqctl stop)"
    # Loopback only: AMQP, the Erlang distribution port (25672) and epmd (4369) listen on 0.0.0.0 unless
    # told. Debian's wrapper switches to the rabbitmq user with su, which keeps these variables.
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 ERL_EPMD_ADDRESS=127.0.0.1 \
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
        rabbitmq-server -detached
    wait_port 5672 90 rabbitmq-server
fi
if [ -z "${PARLEY_MQTT_URI:-}" ] && ! port_open 1883; then
    echo "$me: starting mosquitto on 127.0.0.1:1883 (it keeps running; stop it with: pkill -f 'mosquitto -c /tmp/parley-mosquitto.conf')"
    # Loopback only, anonymous clients, nothing kept on disk: a broker for the tests
    printf 'listener 1883 127.0.0.1\nallow_anonymous true\npersistence false\n' >/tmp/parley-mosquitto.conf
    "$(command -v mosquitto || echo /usr/sbin/mosquitto)" -d -c /tmp/parley-mosquitto.conf
    wait_port 1883 20 mosquitto
fi

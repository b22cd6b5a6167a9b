package io.parley.transport.mqtt;

import io.parley.tck.BrokerProcess;
import io.parley.tck.TestCertificates;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Mosquitto processes of the tests' own, on free loopback ports: killed, frozen and restarted by the kit. */
final class PrivateMosquitto {

    private PrivateMosquitto() {
    }

    /** Whether the tool is on the PATH (mosquitto_passwd is not packaged everywhere). */
    static boolean installed(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/usr/bin", tool));
    }

    private static String mosquitto() {
        return Files.isExecutable(Path.of("/usr/sbin/mosquitto")) ? "/usr/sbin/mosquitto" : "mosquitto";
    }

    /** {@code mosquitto -p <port>}: 2.0 without a configuration listens on loopback and lets anyone in. */
    static BrokerProcess plain() throws Exception {
        int port = BrokerProcess.freePort();
        return new BrokerProcess("mosquitto", "mqtt://127.0.0.1:" + port, port,
                () -> new ProcessBuilder(mosquitto(), "-p", Integer.toString(port))).start();
    }

    /** A broker that takes MQTT packets of at most {@code maxPacketSize} bytes (and says so in its CONNACK). */
    static BrokerProcess withPacketLimit(int maxPacketSize) throws Exception {
        int port = BrokerProcess.freePort();
        Path dir = Files.createTempDirectory("parley-mosquitto-limit");
        Path config = write(dir, List.of(
                "listener " + port + " 127.0.0.1",
                "allow_anonymous true",
                "max_packet_size " + maxPacketSize,
                "user root"));
        return new BrokerProcess("mosquitto (packet limit)", "mqtt://127.0.0.1:" + port, port,
                () -> new ProcessBuilder(mosquitto(), "-c", config.toString())).start();
    }

    /** A broker that wants {@code user} with {@code password}, and refuses anonymous clients. */
    static BrokerProcess withLogin(String user, String password) throws Exception {
        int port = BrokerProcess.freePort();
        Path dir = Files.createTempDirectory("parley-mosquitto-login");
        Path passwords = dir.resolve("passwords");
        Process made = new ProcessBuilder("mosquitto_passwd", "-b", "-c", passwords.toString(), user, password)
                .redirectErrorStream(true).start();
        String output = new String(made.getInputStream().readAllBytes());
        if (made.waitFor() != 0) {
            throw new IOException("mosquitto_passwd failed: " + output);
        }
        Path config = write(dir, List.of(
                "listener " + port + " 127.0.0.1",
                "allow_anonymous false",
                "password_file " + passwords,
                "user root"));
        return new BrokerProcess("mosquitto (login)", "mqtt://127.0.0.1:" + port, port,
                () -> new ProcessBuilder(mosquitto(), "-c", config.toString())).start();
    }

    /** A broker that speaks TLS only, with the kit's server certificate, and demands client certificates. */
    static BrokerProcess tls(TestCertificates certificates) throws Exception {
        int port = BrokerProcess.freePort();
        Path dir = Files.createTempDirectory("parley-mosquitto-tls");
        Path config = write(dir, List.of(
                "listener " + port + " 127.0.0.1",
                "allow_anonymous true",
                "cafile " + certificates.caCertificate(),
                "certfile " + certificates.serverCertificate(),
                "keyfile " + certificates.serverKey(),
                "require_certificate true",
                "user root"));
        return new BrokerProcess("mosquitto (TLS)", "mqtts://127.0.0.1:" + port, port,
                () -> new ProcessBuilder(mosquitto(), "-c", config.toString())).start();
    }

    private static Path write(Path dir, List<String> lines) throws IOException {
        Path config = dir.resolve("mosquitto.conf");
        Files.write(config, lines);
        dir.toFile().deleteOnExit();
        config.toFile().deleteOnExit();
        return config;
    }
}

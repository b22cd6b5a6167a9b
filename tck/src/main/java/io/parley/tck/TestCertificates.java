package io.parley.tck;

import io.parley.api.TlsOptions;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away certificate authority for TLS tests (SPEC Section 15), made with the {@code openssl}
 * command line: a CA, a server certificate for {@code 127.0.0.1} only (so that {@code localhost}
 * is a host name the certificate does not carry), and a client certificate for mutual TLS, as PEM
 * files and as PKCS#12 stores for brokers and clients that want Java stores. Valid for two days.
 * {@link #shared()} makes one set per JVM.
 */
public final class TestCertificates {

    private static TestCertificates shared;

    private final Path dir;
    private final char[] password;

    private TestCertificates(Path dir, char[] password) {
        this.dir = dir;
        this.password = password;
    }

    /** One set of certificates per JVM, in a temporary directory removed at exit. */
    public static synchronized TestCertificates shared() {
        if (shared == null) {
            try {
                Path dir = Files.createTempDirectory("parley-tls-");
                shared = create(dir);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
            } catch (IOException e) {
                throw new IllegalStateException("cannot make the test certificates: " + e.getMessage(), e);
            }
        }
        return shared;
    }

    /** Makes a CA, a server and a client certificate in {@code dir}. Needs {@code openssl} on the PATH. */
    public static TestCertificates create(Path dir) throws IOException {
        String secret = "tls-" + UUID.randomUUID();
        Files.writeString(dir.resolve("server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
                + "keyUsage=critical,digitalSignature,keyEncipherment\n");
        Files.writeString(dir.resolve("client.ext"), "extendedKeyUsage=clientAuth\n"
                + "keyUsage=critical,digitalSignature,keyEncipherment\n");
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Parley Test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        for (String name : List.of("server", "client")) {
            openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", name + "-key.pem", "-out", name + ".csr", "-subj",
                    name.equals("server") ? "/CN=127.0.0.1" : "/CN=parley-test-client");
            openssl(dir, "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
                    "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext");
            openssl(dir, "pkcs12", "-export", "-in", name + ".pem", "-inkey", name + "-key.pem", "-name", name,
                    "-out", name + ".p12", "-passout", "pass:" + secret);
        }
        // A trust store with the CA only; keytool writes the trusted-certificate entry Java stores need.
        run(dir, List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-importcert",
                "-noprompt", "-alias", "parley-test-ca", "-file", "ca.pem", "-storetype", "PKCS12",
                "-keystore", "ca.p12", "-storepass", secret));
        for (String file : List.of("ca-key.pem", "server-key.pem", "client-key.pem")) {
            // brokers that drop privileges (RabbitMQ runs as its own user) must read their key
            dir.resolve(file).toFile().setReadable(true, false);
        }
        dir.toFile().setReadable(true, false);
        dir.toFile().setExecutable(true, false);
        return new TestCertificates(dir, secret.toCharArray());
    }

    /**
     * The context of a TLS server with the server certificate that trusts the kit's CA, for servers in
     * the test's own JVM (rule 15.06); call {@code setNeedClientAuth(true)} on its sockets for mutual TLS.
     */
    public SSLContext serverContext() throws GeneralSecurityException, IOException {
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(KeyStore.getInstance(serverKeyStore().toFile(), password), password);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(KeyStore.getInstance(trustStore().toFile(), password));
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
        return context;
    }

    public Path directory() {
        return dir;
    }

    /** The CA certificate (PEM): what a broker checks client certificates against, and clients trust. */
    public Path caCertificate() {
        return dir.resolve("ca.pem");
    }

    /** A PKCS#12 trust store holding the CA, with {@link #password()}. */
    public Path trustStore() {
        return dir.resolve("ca.p12");
    }

    /** The server certificate (PEM), for IP address 127.0.0.1 only. */
    public Path serverCertificate() {
        return dir.resolve("server.pem");
    }

    /** The server's private key (PEM, unencrypted PKCS#8). */
    public Path serverKey() {
        return dir.resolve("server-key.pem");
    }

    /** The server certificate and key as a PKCS#12 store with {@link #password()}. */
    public Path serverKeyStore() {
        return dir.resolve("server.p12");
    }

    /** The client certificate (PEM) for mutual TLS. */
    public Path clientCertificate() {
        return dir.resolve("client.pem");
    }

    /** The client's private key (PEM, unencrypted PKCS#8). */
    public Path clientKey() {
        return dir.resolve("client-key.pem");
    }

    /** The client certificate and key as a PKCS#12 store with {@link #password()}. */
    public Path clientKeyStore() {
        return dir.resolve("client.p12");
    }

    /** The password of the PKCS#12 stores (a copy). */
    public char[] password() {
        return password.clone();
    }

    /** Trusts the CA and shows the client certificate: what a client of the test broker needs. */
    public TlsOptions clientOptions() {
        return TlsOptions.builder().trustStore(trustStore(), password).keyStore(clientKeyStore(), password).build();
    }

    private static void openssl(Path dir, String... arguments) throws IOException {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(arguments));
        run(dir, command);
    }

    private static void run(Path dir, List<String> command) throws IOException {
        Process process;
        try {
            process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException(command.get(0) + " could not be started: the TLS tests need openssl on the PATH"
                    + " (Debian: apt-get install openssl)", e);
        }
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(command.get(0) + " did not finish within 60 s");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while making test certificates", e);
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command.subList(0, Math.min(3, command.size())))
                    + " failed (exit " + process.exitValue() + "): " + output);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory; the OS cleans up what is left
        }
    }
}

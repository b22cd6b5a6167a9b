package io.parley.api;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * TLS of one {@link Broker}, the same on every transport: whom to trust (a trust store or PEM CA
 * certificates; the JVM's trusted CAs when neither is given), which certificate to show a broker that
 * asks for one (mutual TLS: a key store or PEM certificate and key), or a whole {@link SSLContext} of
 * the user's. The broker's host name is checked against its certificate unless
 * {@link Builder#hostnameVerification(boolean)} turns that off.
 *
 * <p>Given in {@link BrokerOptions.Builder#tls(TlsOptions)}, it turns TLS on whatever the URI's
 * scheme. Files are read, and the context built, by {@link Builder#build()}, which lists every
 * unreadable file or wrong password in one {@link ConfigurationException}. {@link #toString()} shows
 * no password.
 *
 * <pre>{@code
 * TlsOptions tls = TlsOptions.builder()
 *         .trustCertificates(Path.of("/etc/parley/ca.pem"))
 *         .keyStore(Path.of("/etc/parley/client.p12"), password)   // only for mutual TLS
 *         .build();
 * Broker broker = Broker.connect("tls://nats.example.com:4222", BrokerOptions.builder().tls(tls).build());
 * }</pre>
 */
public final class TlsOptions {

    private static final Pattern PEM_KEY = Pattern.compile(
            "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    private final SSLContext context;
    private final boolean hostnameVerification;
    private final boolean clientCertificate;
    private final boolean userContext;
    private final String description;

    private TlsOptions(SSLContext context, boolean hostnameVerification, boolean clientCertificate,
                       boolean userContext, String description) {
        this.context = context;
        this.hostnameVerification = hostnameVerification;
        this.clientCertificate = clientCertificate;
        this.userContext = userContext;
        this.description = description;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** TLS with a context the application built itself; host names are verified. */
    public static TlsOptions of(SSLContext context) {
        return builder().sslContext(context).build();
    }

    /** The context every connection of the broker is made with. */
    public SSLContext sslContext() {
        return context;
    }

    /** Whether a connection checks that the broker's certificate names the host it connects to ({@code true} unless turned off). */
    public boolean hostnameVerification() {
        return hostnameVerification;
    }

    /** Whether a key store or PEM key was given for mutual TLS (unknown, so {@code false}, for a user's context). */
    public boolean hasClientCertificate() {
        return clientCertificate;
    }

    /** Whether the application gave its own {@link SSLContext} (then whether it holds a client certificate is unknown). */
    public boolean isUserContext() {
        return userContext;
    }

    @Override
    public String toString() {
        return "TlsOptions[" + description + (hostnameVerification ? "" : ", host names not verified") + "]";
    }

    public static final class Builder {
        private SSLContext context;
        private Path trustStore;
        private char[] trustStorePassword;
        private final List<Path> trustCertificates = new ArrayList<>();
        private Path keyStore;
        private char[] keyStorePassword;
        private Path certificateChain;
        private Path privateKey;
        private boolean hostnameVerification = true;

        private Builder() {
        }

        /** Trust the CAs of a PKCS#12 or JKS trust store (the type is read from the file). */
        public Builder trustStore(Path file, char[] password) {
            this.trustStore = file;
            this.trustStorePassword = password == null ? null : password.clone();
            return this;
        }

        /** Trust the CA certificates of a PEM file (several calls add files). */
        public Builder trustCertificates(Path pemFile) {
            this.trustCertificates.add(pemFile);
            return this;
        }

        /** Mutual TLS: the client certificate and its key from a PKCS#12 or JKS key store (the key has the store's password). */
        public Builder keyStore(Path file, char[] password) {
            this.keyStore = file;
            this.keyStorePassword = password == null ? null : password.clone();
            return this;
        }

        /** Mutual TLS: the client certificate chain and its unencrypted PKCS#8 private key ({@code BEGIN PRIVATE KEY}) as PEM files. */
        public Builder certificate(Path chainPem, Path privateKeyPem) {
            this.certificateChain = chainPem;
            this.privateKey = privateKeyPem;
            return this;
        }

        /** The application's own context; then no store or PEM file may be given. */
        public Builder sslContext(SSLContext context) {
            this.context = context;
            return this;
        }

        /**
         * Whether the broker's certificate must name the host of the URI; {@code true} by default. Turning
         * it off lets anyone with a certificate from a trusted CA pose as the broker.
         */
        public Builder hostnameVerification(boolean verify) {
            this.hostnameVerification = verify;
            return this;
        }

        /** Reads the files and builds the context. @throws ConfigurationException listing every problem */
        public TlsOptions build() {
            List<String> problems = new ArrayList<>();
            if (context != null) {
                if (trustStore != null || !trustCertificates.isEmpty() || keyStore != null || certificateChain != null) {
                    problems.add("give either an SSLContext or trust and key files, not both");
                }
                throwIfAny(problems);
                return new TlsOptions(context, hostnameVerification, false, true, "user SSLContext");
            }
            if (trustStore != null && !trustCertificates.isEmpty()) {
                problems.add("give either a trust store or PEM trust certificates, not both");
            }
            if (keyStore != null && (certificateChain != null || privateKey != null)) {
                problems.add("give either a key store or a PEM certificate and key, not both");
            }
            if ((certificateChain == null) != (privateKey == null)) {
                problems.add("a PEM client certificate needs both the certificate chain and the private key file");
            }
            TrustManager[] trust = trustManagers(problems);
            KeyManager[] keys = keyManagers(problems);
            throwIfAny(problems);
            try {
                SSLContext built = SSLContext.getInstance("TLS");
                built.init(keys, trust, null);
                return new TlsOptions(built, hostnameVerification, keys != null, false, "trust "
                        + (trustStore != null ? trustStore : trustCertificates.isEmpty() ? "JVM default" : trustCertificates)
                        + (keys != null ? ", client certificate" : ""));
            } catch (GeneralSecurityException e) {
                throw new ConfigurationException("Cannot build the TLS context: " + e.getMessage(), e);
            }
        }

        private TrustManager[] trustManagers(List<String> problems) {
            KeyStore store;
            if (trustStore != null) {
                store = load(trustStore, trustStorePassword, "trust store", problems);
            } else if (!trustCertificates.isEmpty()) {
                store = emptyStore(problems);
                for (Path pem : trustCertificates) {
                    List<Certificate> certificates = certificates(pem, "trust certificate file", problems);
                    for (int i = 0; store != null && i < certificates.size(); i++) {
                        try {
                            store.setCertificateEntry("ca-" + pem.getFileName() + "-" + i, certificates.get(i));
                        } catch (GeneralSecurityException e) {
                            problems.add("cannot use certificate " + i + " of " + pem + ": " + e.getMessage());
                        }
                    }
                }
            } else {
                return null; // the JVM's trusted CAs
            }
            if (store == null) {
                return null;
            }
            try {
                TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                factory.init(store);
                return factory.getTrustManagers();
            } catch (GeneralSecurityException e) {
                problems.add("cannot use the trusted certificates: " + e.getMessage());
                return null;
            }
        }

        private KeyManager[] keyManagers(List<String> problems) {
            KeyStore store;
            char[] password;
            if (keyStore != null) {
                store = load(keyStore, keyStorePassword, "key store", problems);
                password = keyStorePassword == null ? new char[0] : keyStorePassword;
            } else if (certificateChain != null && privateKey != null) {
                List<Certificate> chain = certificates(certificateChain, "client certificate file", problems);
                PrivateKey key = privateKey(privateKey, problems);
                store = emptyStore(problems);
                password = new char[0];
                if (store != null && key != null && !chain.isEmpty()) {
                    try {
                        store.setKeyEntry("client", key, password, chain.toArray(Certificate[]::new));
                    } catch (GeneralSecurityException e) {
                        problems.add("the private key " + privateKey + " does not fit the certificate "
                                + certificateChain + ": " + e.getMessage());
                    }
                }
            } else {
                return null;
            }
            if (store == null) {
                return null;
            }
            try {
                KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                factory.init(store, password);
                return factory.getKeyManagers();
            } catch (GeneralSecurityException e) {
                problems.add("cannot use the client key: " + e.getMessage()
                        + " (a key store's key must have the store's password)");
                return null;
            }
        }

        private static KeyStore load(Path file, char[] password, String what, List<String> problems) {
            if (!java.nio.file.Files.isReadable(file)) {
                problems.add("the " + what + " " + file + " cannot be read (missing, or no permission)");
                return null;
            }
            try {
                return KeyStore.getInstance(file.toFile(), password);
            } catch (IOException e) {
                boolean badPassword = e.getCause() instanceof java.security.UnrecoverableKeyException
                        || String.valueOf(e.getMessage()).contains("password");
                problems.add(badPassword ? "the " + what + " " + file + " does not open with the given password"
                        : "the " + what + " " + file + " is not a PKCS#12 or JKS store: " + e.getMessage());
            } catch (GeneralSecurityException e) {
                problems.add("the " + what + " " + file + " is not a PKCS#12 or JKS store: " + e.getMessage());
            }
            return null;
        }

        private static KeyStore emptyStore(List<String> problems) {
            try {
                KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
                store.load(null, null);
                return store;
            } catch (IOException | GeneralSecurityException e) {
                problems.add("cannot make a key store: " + e.getMessage());
                return null;
            }
        }

        private static List<Certificate> certificates(Path pem, String what, List<String> problems) {
            if (!java.nio.file.Files.isReadable(pem)) {
                problems.add("the " + what + " " + pem + " cannot be read (missing, or no permission)");
                return List.of();
            }
            try (InputStream in = java.nio.file.Files.newInputStream(pem)) {
                Collection<? extends Certificate> read = CertificateFactory.getInstance("X.509").generateCertificates(in);
                if (read.isEmpty()) {
                    problems.add("the " + what + " " + pem + " holds no certificate");
                }
                return List.copyOf(read);
            } catch (IOException | GeneralSecurityException e) {
                problems.add("the " + what + " " + pem + " holds no readable PEM certificate: " + e.getMessage());
                return List.of();
            }
        }

        private static PrivateKey privateKey(Path pem, List<String> problems) {
            String text;
            try {
                text = java.nio.file.Files.readString(pem, StandardCharsets.US_ASCII);
            } catch (IOException e) {
                problems.add("the private key file " + pem + " cannot be read (missing, or no permission)");
                return null;
            }
            Matcher m = PEM_KEY.matcher(text);
            if (!m.find()) {
                problems.add("the private key file " + pem + " holds no unencrypted PKCS#8 key (BEGIN PRIVATE KEY);"
                        + " convert it with: openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-pkcs8.pem");
                return null;
            }
            byte[] der = Base64.getMimeDecoder().decode(m.group(1));
            for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448")) {
                try {
                    return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
                } catch (GeneralSecurityException notThisOne) {
                    // try the next algorithm
                }
            }
            problems.add("the private key in " + pem + " is not an RSA, EC or EdDSA key");
            return null;
        }

        private static void throwIfAny(List<String> problems) {
            if (!problems.isEmpty()) {
                throw ConfigurationException.of("TLS options", problems);
            }
        }
    }

}

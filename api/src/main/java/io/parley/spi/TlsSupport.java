package io.parley.spi;

import io.parley.api.BrokerOptions;
import io.parley.api.ConnectionException;
import io.parley.api.TlsOptions;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Locale;
import java.util.Optional;

/**
 * What every transport needs for TLS: the context and host-name check that {@link BrokerOptions#tls()}
 * asks for (the JVM's defaults when it is empty), and one reading of a failed handshake, so that a
 * user learns from the exception's message, on every broker alike, whether the broker's certificate
 * is not trusted, names another host, or expired, or whether the broker wanted a client certificate.
 */
public final class TlsSupport {

    private static final int MAX_CAUSES = 20;

    private TlsSupport() {
    }

    /** The options' context, or the JVM's default one (its trusted CAs, no client certificate). */
    public static SSLContext context(BrokerOptions options) {
        Optional<TlsOptions> tls = options.tls();
        if (tls.isPresent()) {
            return tls.get().sslContext();
        }
        try {
            return SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            throw new ConnectionException("The JVM has no default TLS context: " + e.getMessage(), e);
        }
    }

    /** Whether the broker's certificate must name the host connected to: yes, unless the options turned it off. */
    public static boolean verifyHostname(BrokerOptions options) {
        return options.tls().map(TlsOptions::hostnameVerification).orElse(true);
    }

    /** Client socket parameters of {@code context} with the HTTPS host-name check when {@code verifyHostname}. */
    public static SSLParameters clientParameters(SSLContext context, boolean verifyHostname) {
        SSLParameters parameters = context.getDefaultSSLParameters();
        if (verifyHostname) {
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
        }
        return parameters;
    }

    /**
     * When {@code failure} (or one of its causes) is a TLS failure, a sentence that says what failed
     * and what to do, naming {@code host} (the host connected to, not a URI: no credentials).
     */
    public static Optional<String> describeFailure(Throwable failure, String host) {
        String where = host == null ? "the broker" : "the broker at " + host;
        boolean tls = false;
        StringBuilder texts = new StringBuilder();
        Throwable t = failure;
        for (int i = 0; t != null && i < MAX_CAUSES; i++, t = t.getCause()) {
            if (t instanceof CertificateExpiredException || t instanceof CertificateNotYetValidException) {
                return Optional.of("TLS: the certificate of " + where + " has expired or is not valid yet;"
                        + " the broker needs a current certificate");
            }
            if (t instanceof SSLException || t instanceof GeneralSecurityException) {
                tls = true;
            }
            texts.append(' ').append(t.getMessage());
        }
        String all = texts.toString().toLowerCase(Locale.ROOT);
        if (all.contains("no subject alternative") || all.contains("no name matching")) {
            return Optional.of("TLS: the certificate of " + where + " does not name the host " + (host == null ? ""
                    : "'" + host + "' ") + "that the URI connects to (host name mismatch): connect by a name or"
                    + " address the certificate carries");
        }
        if (all.contains("certification path") || all.contains("pkix") || all.contains("certpath")
                || all.contains("signature check failed") || all.contains("unknown_ca")
                && !all.contains("received fatal alert: unknown_ca")) {
            return Optional.of("TLS: the certificate of " + where + " is not trusted (no CA this client trusts"
                    + " signed it): give the broker's CA with TlsOptions.trustCertificates(ca.pem) or trustStore(...)");
        }
        if (all.contains("certificate_required") || all.contains("bad_certificate")
                || all.contains("received fatal alert: unknown_ca") || all.contains("certificate_unknown")
                && all.contains("received fatal alert")) {
            return Optional.of("TLS: " + where + " refused the handshake: it requires a client certificate"
                    + " (mutual TLS) signed by a CA it trusts; give one with TlsOptions.keyStore(...) or"
                    + " certificate(chain.pem, key.pem)");
        }
        if (all.contains("unrecognized ssl message") || all.contains("plaintext connection")) {
            return Optional.of("TLS: " + where + " does not speak TLS on this port; use its TLS port, or a"
                    + " plain URI without TLS options");
        }
        if (tls && (failure instanceof SSLException || hasSslCause(failure))) {
            return Optional.of("TLS: the handshake with " + where + " failed (" + firstSslMessage(failure) + ")");
        }
        return Optional.empty();
    }

    /** {@code failure} as a {@link ConnectionException} that says what failed, when it is a TLS failure. */
    public static Optional<ConnectionException> connectionFailure(Throwable failure, String host, String redactedUri) {
        return describeFailure(failure, host).map(text ->
                new ConnectionException("Cannot connect to " + redactedUri + ": " + text, failure));
    }

    private static boolean hasSslCause(Throwable failure) {
        Throwable t = failure;
        for (int i = 0; t != null && i < MAX_CAUSES; i++, t = t.getCause()) {
            if (t instanceof SSLException) {
                return true;
            }
        }
        return false;
    }

    private static String firstSslMessage(Throwable failure) {
        Throwable t = failure;
        for (int i = 0; t != null && i < MAX_CAUSES; i++, t = t.getCause()) {
            if (t instanceof SSLException) {
                return t.getMessage();
            }
        }
        return String.valueOf(failure.getMessage());
    }
}

package io.parley.spi;

import io.parley.api.BrokerOptions;
import io.parley.api.ConnectionException;
import io.parley.api.TlsOptions;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
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
            return Optional.of(missingClientCertificate(host));
        }
        if (all.contains("unrecognized ssl message") || all.contains("plaintext connection")) {
            return Optional.of(notTls(host));
        }
        if (tls && (failure instanceof SSLException || hasSslCause(failure))) {
            return Optional.of("TLS: the handshake with " + where + " failed (" + firstSslMessage(failure) + ")");
        }
        return Optional.empty();
    }

    /** The sentence for a broker that offers no TLS on the port where the client asked for it. */
    public static String notTls(String host) {
        return "TLS: " + (host == null ? "the broker" : "the broker at " + host)
                + " does not speak TLS on this port; use its TLS port, or a plain URI without TLS options";
    }

    /** The sentence for a plain connection to a broker that takes TLS only. */
    public static String tlsRequired(String host) {
        return "TLS: " + (host == null ? "the broker" : "the broker at " + host)
                + " requires TLS; use the URI's TLS scheme, or give BrokerOptions.tls(...)";
    }

    /**
     * Whether, in this finished handshake, the broker asked for a client certificate and the client
     * showed none. In TLS 1.3 the client's side of the handshake ends before the broker has judged it, so
     * a broker that demands a certificate closes the connection after the handshake, and the client
     * mostly sees a reset or an end of stream instead of the {@code certificate_required} alert: a
     * transport that sees this session followed by such a close reports it with
     * {@link #missingClientCertificate(String)}. (On the client side the peer's signature algorithms come
     * from the certificate request only.)
     */
    public static boolean clientCertificateAskedButNotShown(SSLSession session) {
        return session.getLocalCertificates() == null && session instanceof ExtendedSSLSession extended
                && extended.getPeerSupportedSignatureAlgorithms().length > 0;
    }

    /** The sentence for a broker that wants a client certificate it did not get. */
    public static String missingClientCertificate(String host) {
        return "TLS: " + (host == null ? "the broker" : "the broker at " + host) + " refused the handshake: it"
                + " requires a client certificate (mutual TLS) signed by a CA it trusts; give one with"
                + " TlsOptions.keyStore(...) or certificate(chain.pem, key.pem)";
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

package io.parley.transport.nats.internal;

import io.nats.client.AuthHandler;
import io.nats.client.NKey;
import io.nats.client.Nats;
import io.parley.spi.BrokerAddress;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportSettings;
import io.parley.transport.nats.NatsProperties;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * What a {@code nats://} or {@code tls://} URI and the {@code nats.*} properties ask for, checked
 * all at once: {@code nats://[user:password@|token@]host[:port][,host[:port]...]}. Credential files are
 * read here, so that a missing or unreadable one fails {@code connect} with its path; what is in them
 * never goes into a message.
 */
final class NatsSettings {

    private static final Set<String> KNOWN = Set.of(NatsProperties.USER, NatsProperties.PASSWORD, NatsProperties.TOKEN,
            NatsProperties.CREDENTIALS, NatsProperties.NKEY, NatsProperties.JWT,
            NatsProperties.CONNECTION_NAME, NatsProperties.CONNECT_TIMEOUT_MS, NatsProperties.RECONNECT_WAIT_MS,
            NatsProperties.MAX_RECONNECTS, NatsProperties.RECONNECT_BUFFER_BYTES);
    private static final Pattern JWT = Pattern.compile("eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");

    final List<String> servers = new ArrayList<>();
    /** TLS, asked for by the {@code tls://} scheme or by {@code BrokerOptions.tls}. */
    boolean tls;
    String user;
    char[] password;
    char[] token;
    Path credentials;
    Path nkey;
    Path jwt;
    char[] seed;    // from nkey
    char[] userJwt; // from jwt
    String connectionName = "parley";
    Duration connectTimeout = Duration.ofSeconds(5);
    Duration reconnectWait = Duration.ofMillis(250);
    int maxReconnects = -1;
    long reconnectBufferBytes = 8L * 1024 * 1024;

    static NatsSettings from(TransportContext context) {
        NatsSettings settings = new NatsSettings();
        List<String> problems = new ArrayList<>();
        settings.tls = context.options().tls().isPresent() || "tls".equalsIgnoreCase(context.uri().getScheme());
        settings.readUri(context.uri(), problems);
        settings.readProperties(context.options().properties(), problems);
        settings.readCredentialFiles(context.options().properties(), problems);
        TransportSettings.throwIfAny("NATS", context.redactedUri(), problems);
        return settings;
    }

    private void readUri(URI uri, List<String> problems) {
        BrokerAddress address = BrokerAddress.read(uri, 4222,
                "nats://host:4222 (several servers: nats://host1:4222,host2:4222)", problems);
        if (address.password().isPresent()) {
            user = address.user().orElse("");
            password = address.password().get().toCharArray();
        } else {
            address.user().ifPresent(value -> token = value.toCharArray());
        }
        for (BrokerAddress.Server server : address.servers()) {
            servers.add(address.scheme() + "://" + server);
        }
        address.noPath("NATS", problems);
        address.noQuery("use the nats.* properties (see the transport's README)", problems);
    }

    private void readProperties(Map<String, String> properties, List<String> problems) {
        TransportSettings.unknownKeys(properties, "nats.", KNOWN, List.of(), "property", "", problems);
        if (properties.containsKey(NatsProperties.USER)) {
            user = properties.get(NatsProperties.USER);
        }
        if (properties.containsKey(NatsProperties.PASSWORD)) {
            password = properties.get(NatsProperties.PASSWORD).toCharArray();
        }
        if (properties.containsKey(NatsProperties.TOKEN)) {
            token = properties.get(NatsProperties.TOKEN).toCharArray();
        }
        if (token != null && user != null) {
            problems.add("both a token and a user are given; use one");
        }
        if (user != null && password == null) {
            problems.add("a user without a password");
        }
        connectionName = properties.getOrDefault(NatsProperties.CONNECTION_NAME, connectionName);
        connectTimeout = Duration.ofMillis(TransportSettings.number(properties, NatsProperties.CONNECT_TIMEOUT_MS, connectTimeout.toMillis(), 1, Integer.MAX_VALUE, problems));
        reconnectWait = Duration.ofMillis(TransportSettings.number(properties, NatsProperties.RECONNECT_WAIT_MS, reconnectWait.toMillis(), 0, Integer.MAX_VALUE, problems));
        maxReconnects = (int) TransportSettings.number(properties, NatsProperties.MAX_RECONNECTS, maxReconnects, -1, Integer.MAX_VALUE, problems);
        reconnectBufferBytes = TransportSettings.number(properties, NatsProperties.RECONNECT_BUFFER_BYTES, reconnectBufferBytes, 0, Integer.MAX_VALUE, problems);
    }

    /** {@code .creds}, or an NKey seed with or without a user JWT: files, read and checked now. */
    private void readCredentialFiles(Map<String, String> properties, List<String> problems) {
        boolean given = properties.containsKey(NatsProperties.CREDENTIALS) || properties.containsKey(NatsProperties.NKEY)
                || properties.containsKey(NatsProperties.JWT);
        if (given && (user != null || token != null)) {
            problems.add("give either a user and password or a token, or NATS credentials (nats.credentials, nats.nkey), not both");
        }
        if (properties.containsKey(NatsProperties.CREDENTIALS)
                && (properties.containsKey(NatsProperties.NKEY) || properties.containsKey(NatsProperties.JWT))) {
            problems.add("give either a credentials file (nats.credentials) or an NKey seed (nats.nkey, with nats.jwt), not both");
        }
        if (properties.containsKey(NatsProperties.JWT) && !properties.containsKey(NatsProperties.NKEY)) {
            problems.add("a user JWT (nats.jwt) needs the NKey seed it was issued for (nats.nkey)");
        }
        credentials = file(properties, NatsProperties.CREDENTIALS, "credentials file", problems);
        if (credentials != null && !readableByJnats(credentials)) {
            problems.add("the credentials file " + credentials + " (" + NatsProperties.CREDENTIALS + ") holds no user JWT"
                    + " and NKey seed in the format nsc writes (-----BEGIN NATS USER JWT----- ... -----BEGIN USER NKEY SEED----- ...)");
        }
        nkey = file(properties, NatsProperties.NKEY, "NKey seed file", problems);
        if (nkey != null) {
            seed = word(nkey, NatsSettings::isUserSeed);
            if (seed == null) {
                problems.add("the NKey seed file " + nkey + " (" + NatsProperties.NKEY + ") holds no user NKey seed (SU...)");
            }
        }
        jwt = file(properties, NatsProperties.JWT, "user JWT file", problems);
        if (jwt != null) {
            userJwt = word(jwt, w -> JWT.matcher(w).matches());
            if (userJwt == null) {
                problems.add("the user JWT file " + jwt + " (" + NatsProperties.JWT + ") holds no JWT (eyJ...)");
            }
        }
    }

    /**
     * The handler of the NATS credentials, or {@code null}: jnats' own for a {@code .creds} file (it reads
     * the file again at every connect), a fixed one for the seed and JWT read here.
     */
    AuthHandler authHandler() {
        if (credentials != null) {
            return Nats.credentials(credentials.toString());
        }
        return seed == null ? null : Nats.staticCredentials(userJwt, seed);
    }

    /** Which credentials a refused login used: names and paths, never what is in them. */
    String credentialsHint() {
        if (credentials != null) {
            return "the credentials file " + credentials + " (" + NatsProperties.CREDENTIALS + "): its user JWT must be"
                    + " issued by an account the server trusts, and not expired";
        }
        if (userJwt != null) {
            return "the user JWT " + jwt + " (" + NatsProperties.JWT + ") and its NKey seed " + nkey + " ("
                    + NatsProperties.NKEY + ")";
        }
        if (seed != null) {
            return "the NKey seed " + nkey + " (" + NatsProperties.NKEY + "): the server must list its public key";
        }
        if (token != null) {
            return "the token (" + NatsProperties.TOKEN + ", or in the URI)";
        }
        if (user != null) {
            return "the user and password (" + NatsProperties.USER + ", " + NatsProperties.PASSWORD + ", or in the URI)";
        }
        return "the credentials: none were given (a user and password, a token, " + NatsProperties.CREDENTIALS + " or "
                + NatsProperties.NKEY + ")";
    }

    /** The readable file named by {@code key}, or {@code null} (absent, or a problem added). */
    private static Path file(Map<String, String> properties, String key, String what, List<String> problems) {
        String value = properties.get(key);
        if (value == null) {
            return null;
        }
        try {
            Path path = Path.of(value.strip());
            if (Files.isRegularFile(path) && Files.isReadable(path)) {
                return path;
            }
        } catch (InvalidPathException e) {
            // reported below
        }
        problems.add("the " + what + " " + value.strip() + " (" + key + ") cannot be read (missing, or no permission)");
        return null;
    }

    /** Whether jnats' own reader finds a user's public key and a JWT in a {@code .creds} file. */
    private static boolean readableByJnats(Path creds) {
        try {
            AuthHandler handler = Nats.credentials(creds.toString());
            char[] id = handler.getID();
            char[] jwt = handler.getJWT();
            return id != null && id.length > 0 && id[0] == 'U' && jwt != null && JWT.matcher(new String(jwt)).matches();
        } catch (RuntimeException e) { // jnats' "problem getting public key" and the like: the file is not a .creds
            return false;
        }
    }

    /** The first white-space separated word of {@code file} that passes {@code test}; armour lines are words that do not. */
    private static char[] word(Path file, Predicate<String> test) {
        try {
            for (String word : Files.readString(file, StandardCharsets.ISO_8859_1).split("\\s+")) {
                if (test.test(word)) {
                    return word.toCharArray();
                }
            }
        } catch (IOException e) {
            // unreadable after the check: reported as holding nothing
        }
        return null;
    }

    private static boolean isUserSeed(String word) {
        if (!word.startsWith("SU")) {
            return false;
        }
        try {
            NKey key = NKey.fromSeed(word.toCharArray());
            key.clear();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }
}

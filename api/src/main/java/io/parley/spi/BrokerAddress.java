package io.parley.spi;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a broker URI says, read the same way by every transport: user info, one server or a
 * comma-separated list of them (IPv6 addresses in brackets, also in a list: the core escapes them
 * there, as {@code java.net.URI} would refuse them), default ports, path and query.
 * {@code java.net.URI} alone cannot do it: it gives no host for {@code nats://a:4222,b:4222}, and
 * its user info is not decoded for us.
 *
 * <p>Reading never throws: what is wrong goes to {@code problems}, so that the transport reports it
 * with everything else in one {@link io.parley.api.ConfigurationException}
 * (see {@link TransportSettings#throwIfAny}). No problem text ever holds the user info.
 */
public final class BrokerAddress {

    /** One server of the URI; {@code host} has no brackets, {@link #toString()} puts them back for IPv6. */
    public record Server(String host, int port) {
        public Server {
            Objects.requireNonNull(host, "host");
        }

        /** {@code host:port}, or {@code [v6]:port}: the form the broker clients take. */
        @Override
        public String toString() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    private final String scheme;
    private final String user;
    private final String password;
    private final List<Server> servers;
    private final String path;
    private final String rawQuery;

    private BrokerAddress(String scheme, String user, String password, List<Server> servers, String path,
                          String rawQuery) {
        this.scheme = scheme;
        this.user = user;
        this.password = password;
        this.servers = List.copyOf(servers);
        this.path = path;
        this.rawQuery = rawQuery;
    }

    /**
     * Reads {@code uri}. A server without a port gets {@code defaultPort}. A URI without any server
     * adds the problem "no host: write {@code example}", so give an example that shows the user the form.
     */
    public static BrokerAddress read(URI uri, int defaultPort, String example, List<String> problems) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme();
        String authority = uri.getRawAuthority();
        String user = null;
        String password = null;
        List<Server> servers = new ArrayList<>();
        if (authority != null) {
            // the last '@': an unencoded '@' in a password is common, one in a host name is impossible
            int at = authority.lastIndexOf('@');
            if (at >= 0) {
                String userInfo = authority.substring(0, at);
                int colon = userInfo.indexOf(':');
                user = TransportSettings.percentDecode(colon < 0 ? userInfo : userInfo.substring(0, colon));
                password = colon < 0 ? null : TransportSettings.percentDecode(userInfo.substring(colon + 1));
                authority = authority.substring(at + 1);
            }
            String[] entries = authority.split(",", -1);
            for (int i = 0; i < entries.length; i++) {
                // decoded first: the core escapes the brackets of IPv6 addresses in a list for java.net.URI
                readServer(TransportSettings.percentDecode(entries[i]).strip(), i + 1, entries.length, defaultPort,
                        servers, problems);
            }
        }
        if (servers.isEmpty() && (authority == null || authority.isBlank())) {
            problems.add("no host: write " + example);
        }
        String rawPath = uri.getRawPath();
        String path = rawPath == null || rawPath.isEmpty() || rawPath.equals("/") ? ""
                : TransportSettings.percentDecode(rawPath.substring(1));
        return new BrokerAddress(scheme, user, password, servers, path, uri.getRawQuery());
    }

    private static void readServer(String entry, int number, int count, int defaultPort, List<Server> servers,
                                   List<String> problems) {
        String which = count == 1 ? "the server" : "server " + number;
        if (entry.isEmpty()) {
            if (count > 1) {
                problems.add("an empty entry in the server list (" + which + ")");
            }
            return;
        }
        String host;
        String port = null;
        if (entry.startsWith("[")) {
            int close = entry.indexOf(']');
            if (close < 0) {
                problems.add(which + " opens an IPv6 address with '[' but never closes it");
                return;
            }
            host = entry.substring(1, close);
            String rest = entry.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    problems.add(which + " has '" + rest + "' after its IPv6 address; expected :port");
                    return;
                }
                port = rest.substring(1);
            }
        } else {
            int colon = entry.indexOf(':');
            if (colon >= 0 && entry.indexOf(':', colon + 1) >= 0) {
                problems.add(which + " looks like an IPv6 address: put it in brackets, e.g. [::1]:" + defaultPort);
                return;
            }
            host = colon < 0 ? entry : entry.substring(0, colon);
            port = colon < 0 ? null : entry.substring(colon + 1);
        }
        if (host.isEmpty()) {
            problems.add(which + " has no host name");
            return;
        }
        int portNumber = defaultPort;
        if (port != null) {
            try {
                portNumber = Integer.parseInt(port);
                if (portNumber < 1 || portNumber > 65535) {
                    problems.add("the port of " + which + " must be between 1 and 65535, not " + portNumber);
                    return;
                }
            } catch (NumberFormatException e) {
                problems.add("the port of " + which + " is not a number: '" + port + "'");
                return;
            }
        }
        servers.add(new Server(host, portNumber));
    }

    /** The scheme as written ({@code nats}, {@code amqps}); compare it ignoring case. */
    public String scheme() {
        return scheme;
    }

    /** The percent-decoded user of the user info; empty when the URI has none. */
    public Optional<String> user() {
        return Optional.ofNullable(user);
    }

    /**
     * The percent-decoded password: what follows the first ':' of the user info; empty when there is
     * no ':' (then {@link #user()} may be a token). Never log it.
     */
    public Optional<String> password() {
        return Optional.ofNullable(password);
    }

    /** Every server, in the URI's order; empty only when the URI had a problem. */
    public List<Server> servers() {
        return servers;
    }

    /** The only (or first) server; null when the URI had none (a problem was reported). */
    public Server server() {
        return servers.isEmpty() ? null : servers.get(0);
    }

    /** The percent-decoded path without its leading '/' (a RabbitMQ vhost, a Redis database); "" when none. */
    public String path() {
        return path;
    }

    /** The raw query; null when the URI has none. */
    public String rawQuery() {
        return rawQuery;
    }

    /** Adds a problem when the URI has a path, which this broker's URIs do not have. */
    public void noPath(String broker, List<String> problems) {
        if (!path.isEmpty()) {
            problems.add("a " + broker + " URI has no path; remove '/" + path + "'");
        }
    }

    /** Adds a problem when the URI has a query: {@code hint} says where such settings go instead. */
    public void noQuery(String hint, List<String> problems) {
        if (rawQuery != null) {
            problems.add("query parameters are not read; " + hint);
        }
    }

    /** Adds a problem when the URI lists several servers and this broker's client takes one. */
    public void oneServer(String broker, List<String> problems) {
        if (servers.size() > 1) {
            problems.add("a " + broker + " URI names one server, not " + servers.size());
        }
    }

    /** Scheme and servers, never the user info: safe for logs and messages. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder(scheme).append("://");
        for (int i = 0; i < servers.size(); i++) {
            text.append(i == 0 ? "" : ",").append(servers.get(i));
        }
        return text.toString();
    }
}

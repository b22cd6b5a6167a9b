package io.parley.transport.mqtt.internal;

import io.parley.api.BrokerClosedException;
import io.parley.api.CodecException;
import io.parley.api.ConfigurationException;
import io.parley.api.ConnectionException;
import io.parley.api.MessagingException;
import io.parley.api.SubscribeOptions;
import io.parley.spi.Envelope;
import io.parley.spi.InboundHandler;
import io.parley.spi.SendLanes;
import io.parley.spi.TlsSupport;
import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportSubscription;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.util.MqttTopicValidator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One MQTT 5 connection (a Paho {@link MqttAsyncClient}) as a Parley transport.
 *
 * <ul>
 *   <li>Sends go through {@link SendLanes} and a {@link FlightWindow}, so that no caller waits on the
 *       broker and no publish fails because Paho's in-flight window is full.</li>
 *   <li>Every SUBSCRIBE carries a Subscription Identifier of ours, and arriving messages are routed by
 *       it (Paho's own per-topic listeners would let a second subscription replace the first).</li>
 *   <li>Requests carry Response Topic = this connection's reply topic and Correlation Data = the
 *       correlation id; replies echo the request's Correlation Data byte for byte.</li>
 *   <li>The transport reconnects by itself (clean start), then subscribes again to everything.</li>
 * </ul>
 */
final class MqttTransport implements Transport, MqttCallback {

    private static final Logger log = LoggerFactory.getLogger(MqttTransport.class);
    private static final AtomicInteger CONNECTIONS = new AtomicInteger();
    private static final int REPLY_SUBSCRIPTION = 1;
    private static final int NO_MATCHING_SUBSCRIBERS = 0x10;
    private static final int LANES = 2;
    private static final int LANE_CAPACITY = 4_096;
    private static final long SLOT_WAIT_MS = 50;
    private static final long UNSUBSCRIBE_WAIT_MS = 1_000;
    private static final String ID_CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789";

    private final TransportContext context;
    private final MqttSettings settings;
    private final String name;
    private final String clientId;
    private final String replyTopic;
    private final MqttAsyncClient client;
    private final MqttConnectionOptions connectOptions;
    private final TlsSocketFactory tlsSocketFactory;
    private final SendLanes lanes;
    private final ScheduledExecutorService reconnector;
    private final Object subscriptionLock = new Object();
    private final Map<String, BrokerSubscription> byFilter = new HashMap<>(); // guarded by subscriptionLock
    private final Map<Integer, BrokerSubscription> byIdentifier = new ConcurrentHashMap<>();
    private final List<LocalSubscription> locals = new CopyOnWriteArrayList<>();
    private final AtomicInteger nextIdentifier = new AtomicInteger(REPLY_SUBSCRIPTION + 1);
    private final AtomicInteger subscriptionThreads = new AtomicInteger();
    private final Object state = new Object();
    private volatile FlightWindow window; // the current connection's; dead while disconnected
    private volatile long maxPacketSize = EnvelopeMapper.MQTT_MAX_PACKET;
    private volatile boolean connected;
    private volatile boolean closed;
    private boolean reconnecting; // guarded by state

    private MqttTransport(TransportContext context, MqttSettings settings) throws MqttException {
        this.context = context;
        this.settings = settings;
        int number = CONNECTIONS.incrementAndGet();
        this.name = "parley-mqtt-" + number;
        this.clientId = "parley-" + randomId(16);
        this.replyTopic = settings.replyTopicPrefix() + clientId;
        this.connectOptions = new MqttConnectionOptions();
        connectOptions.setServerURIs(settings.pahoUris());
        connectOptions.setCleanStart(true);
        connectOptions.setSessionExpiryInterval(0L);
        connectOptions.setAutomaticReconnect(false); // ours: it subscribes again and never races close()
        connectOptions.setKeepAliveInterval(settings.keepAliveSeconds());
        connectOptions.setConnectionTimeout((int) Math.max(1, (settings.connectTimeout().toMillis() + 999) / 1000));
        connectOptions.setUseSubscriptionIdentifiers(false); // we choose the identifiers and route by them
        settings.user().ifPresent(connectOptions::setUserName);
        settings.password().ifPresent(password -> connectOptions.setPassword(password.getBytes(StandardCharsets.UTF_8)));
        if (settings.tls()) {
            this.tlsSocketFactory = new TlsSocketFactory(TlsSupport.context(context.options()).getSocketFactory());
            connectOptions.setSocketFactory(tlsSocketFactory);
            connectOptions.setHttpsHostnameVerificationEnabled(TlsSupport.verifyHostname(context.options()));
        } else {
            this.tlsSocketFactory = null;
        }
        this.client = new MqttAsyncClient(settings.pahoUris()[0], clientId, new MemoryPersistence());
        client.setCallback(this);
        this.lanes = new SendLanes(name + "-send", LANES, LANE_CAPACITY);
        this.reconnector = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, name + "-reconnect");
            thread.setDaemon(true);
            return thread;
        });
        this.window = new FlightWindow(1);
        window.kill(new ConnectionException("not connected yet"));
    }

    /** Connects, subscribes to the reply topic, and returns once both were acknowledged. */
    static MqttTransport open(TransportContext context) {
        MqttSettings settings = MqttSettings.read(context.uri(), context.redactedUri(), context.options());
        MqttTransport transport;
        try {
            transport = new MqttTransport(context, settings);
        } catch (MqttException | IllegalArgumentException e) {
            throw new ConfigurationException("Cannot use MQTT URI " + context.redactedUri() + ": " + e.getMessage(), e);
        }
        try {
            transport.connect();
        } catch (RuntimeException e) {
            transport.closeQuietly();
            throw e;
        }
        log.debug("{}: connected to {} as {}", transport.name, context.redactedUri(), transport.clientId);
        return transport;
    }

    private static String randomId(int length) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        StringBuilder id = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            id.append(ID_CHARACTERS.charAt(random.nextInt(ID_CHARACTERS.length())));
        }
        return id.toString();
    }

    // ---- connection ------------------------------------------------------------------------------

    /** One connect: CONNACK, the reply topic and every subscription; throws a typed exception. */
    private void connect() {
        long timeout = settings.connectTimeout().toMillis();
        IMqttToken token;
        try {
            token = client.connect(connectOptions);
            token.waitForCompletion(timeout);
        } catch (MqttException e) {
            throw connectFailure(e);
        }
        if (!token.isComplete()) {
            disconnectQuietly();
            throw new ConnectionException("Cannot connect to " + context.redactedUri() + ": the broker did not answer"
                    + " within " + timeout + " ms");
        }
        MqttProperties connack = token.getResponseProperties();
        int receiveMaximum = connack == null || connack.getReceiveMaximum() == null ? 65_535 : connack.getReceiveMaximum();
        Long packetLimit = connack == null ? null : connack.getMaximumPacketSize();
        maxPacketSize = packetLimit == null ? EnvelopeMapper.MQTT_MAX_PACKET : packetLimit;
        int size = settings.maxInFlight() > 0 ? Math.min(settings.maxInFlight(), receiveMaximum) : receiveMaximum;
        try {
            subscribeAndWait(replyTopic, REPLY_SUBSCRIPTION, settings.qos());
            List<BrokerSubscription> all;
            synchronized (subscriptionLock) {
                all = new ArrayList<>(byFilter.values());
            }
            for (BrokerSubscription subscription : all) {
                subscribeAndWait(subscription.filter, subscription.identifier, subscription.qos);
            }
        } catch (RuntimeException e) {
            disconnectQuietly();
            throw e;
        }
        window = new FlightWindow(size);
        synchronized (state) {
            connected = true;
            state.notifyAll();
        }
    }

    private ConnectionException connectFailure(MqttException e) {
        String redacted = context.redactedUri();
        String host = settings.servers().isEmpty() ? null : settings.servers().get(0).host();
        int code = e.getReasonCode();
        if (code == 0x86 || code == 0x87 || code == 0x8C || code == MqttClientException.REASON_CODE_FAILED_AUTHENTICATION
                || code == MqttClientException.REASON_CODE_NOT_AUTHORIZED) {
            return new ConnectionException("Cannot connect to " + redacted + ": the broker refused the login ("
                    + (code == 0x87 || code == MqttClientException.REASON_CODE_NOT_AUTHORIZED ? "not authorized"
                    : "bad user name or password") + ")", e);
        }
        if (settings.tls()) {
            var described = TlsSupport.connectionFailure(e, host, redacted);
            if (described.isPresent()) {
                return described.get();
            }
            if (tlsSocketFactory != null && tlsSocketFactory.lastAskedForMissingCertificate()) {
                return new ConnectionException("Cannot connect to " + redacted + ": "
                        + TlsSupport.missingClientCertificate(host), e);
            }
        }
        if (code == MqttClientException.REASON_CODE_SERVER_CONNECT_ERROR) {
            return new ConnectionException("Cannot connect to " + redacted + ": the broker cannot be reached ("
                    + rootMessage(e) + ")", e);
        }
        if (code == MqttClientException.REASON_CODE_CLIENT_TIMEOUT) {
            return new ConnectionException("Cannot connect to " + redacted + ": the broker did not answer within "
                    + settings.connectTimeout().toMillis() + " ms", e);
        }
        return new ConnectionException("Cannot connect to " + redacted + ": " + describe(e), e);
    }

    private static String describe(MqttException e) {
        String message = e.getMessage();
        return (message == null ? "MQTT reason code " + e.getReasonCode() : message) + " (MQTT reason code "
                + e.getReasonCode() + (e.getCause() == null ? "" : "; " + rootMessage(e)) + ")";
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        for (int i = 0; i < 20 && root.getCause() != null; i++) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }

    /** SUBSCRIBE with our identifier; returns once the broker granted it, else throws a typed exception. */
    private void subscribeAndWait(String filter, int identifier, int qos) {
        MqttProperties properties = new MqttProperties();
        properties.setSubscriptionIdentifier(identifier);
        MqttSubscription subscription = new MqttSubscription(filter, qos);
        long timeout = settings.connectTimeout().toMillis();
        IMqttToken token;
        try {
            // the variant without a listener: Paho's own routing by topic stays out of the way
            token = client.subscribe(new MqttSubscription[] {subscription}, null, null,
                    (IMqttMessageListener[]) null, properties);
            token.waitForCompletion(timeout);
        } catch (MqttException e) {
            throw new ConnectionException("Cannot subscribe to '" + filter + "' on " + context.redactedUri() + ": "
                    + describe(e), e);
        }
        if (!token.isComplete()) {
            throw new ConnectionException("Cannot subscribe to '" + filter + "' on " + context.redactedUri()
                    + ": the broker did not acknowledge within " + timeout + " ms");
        }
        int[] codes = token.getReasonCodes();
        if (codes != null && codes.length > 0 && codes[0] >= 0x80) {
            throw new ConnectionException("The broker " + context.redactedUri() + " refused the subscription to '"
                    + filter + "': " + reason(codes[0]));
        }
    }

    private static String reason(int code) {
        String text = switch (code) {
            case 0x80 -> "unspecified error";
            case 0x83 -> "implementation specific error";
            case 0x87 -> "not authorized";
            case 0x8F -> "topic filter invalid";
            case 0x90 -> "topic name invalid";
            case 0x91 -> "packet identifier in use";
            case 0x95 -> "packet too large";
            case 0x97 -> "quota exceeded";
            case 0x99 -> "payload format invalid";
            case 0x9E -> "shared subscriptions not supported";
            case 0xA1 -> "subscription identifiers not supported";
            case 0xA2 -> "wildcard subscriptions not supported";
            default -> "reason code";
        };
        return text + " (0x" + Integer.toHexString(code) + ")";
    }

    @Override
    public void disconnected(MqttDisconnectResponse response) {
        lost(response == null || response.getException() == null ? "the broker closed the connection"
                : rootMessage(response.getException()));
    }

    @Override
    public void mqttErrorOccurred(MqttException exception) {
        log.debug("{}: Paho reported {}", name, exception.toString());
    }

    /** The connection is gone: fail what waits for it, tell the pending requests, start reconnecting. */
    private void lost(String why) {
        if (closed) {
            return;
        }
        boolean start;
        synchronized (state) {
            connected = false;
            start = !reconnecting;
            reconnecting = true;
        }
        window.kill(new ConnectionException("The connection to " + context.redactedUri() + " was lost before the"
                + " broker acknowledged this message (" + why + ")"));
        // clean start: replies published while we are away are not kept for us
        context.replies().onConnectionLost("the connection to " + context.redactedUri() + " was lost (" + why + ")");
        if (start) {
            log.warn("{}: the connection to {} was lost ({}); reconnecting", name, context.redactedUri(), why);
            scheduleReconnect(Duration.ofMillis(50));
        }
    }

    private void scheduleReconnect(Duration delay) {
        try {
            reconnector.schedule(() -> reconnect(delay), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // close() stopped the reconnector
        }
    }

    private void reconnect(Duration lastDelay) {
        if (closed) {
            return;
        }
        long start = System.nanoTime();
        try {
            connect();
            boolean lostAgain;
            synchronized (state) {
                // lost() while we were finishing saw a reconnect under way and left it to us
                lostAgain = !connected;
                reconnecting = lostAgain;
            }
            if (lostAgain) {
                scheduleReconnect(Duration.ofMillis(50));
                return;
            }
            log.info("{}: connected to {} again; subscriptions restored", name, context.redactedUri());
        } catch (RuntimeException e) {
            log.debug("{}: reconnect to {} failed: {}", name, context.redactedUri(), e.getMessage());
            Duration next = lastDelay.multipliedBy(2);
            if (next.compareTo(settings.reconnectMaxDelay()) > 0) {
                next = settings.reconnectMaxDelay();
            }
            long spent = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            scheduleReconnect(Duration.ofMillis(Math.max(10, next.toMillis() - spent)));
        }
    }

    // ---- sending ---------------------------------------------------------------------------------

    @Override
    public CompletionStage<Void> publish(Envelope message) {
        byte[] correlation = message.correlationId() == null ? null
                : EnvelopeMapper.correlationData(message.correlationId());
        return send(message, message.replyTo(), correlation, null);
    }

    @Override
    public CompletionStage<Void> request(Envelope request) {
        String correlationId = request.correlationId();
        byte[] correlation = correlationId == null ? null : EnvelopeMapper.correlationData(correlationId);
        return send(request, replyTopic, correlation, correlationId);
    }

    @Override
    public CompletionStage<Void> reply(Envelope request, Envelope reply) {
        // echo the requester's Correlation Data exactly: a plain MQTT 5 requester matches on its bytes
        byte[] correlation = null;
        if (request.nativeMessage() instanceof MqttMessage original && original.getProperties() != null) {
            correlation = original.getProperties().getCorrelationData();
        }
        if (correlation == null && reply.correlationId() != null) {
            correlation = EnvelopeMapper.correlationData(reply.correlationId());
        }
        return send(reply, reply.replyTo(), correlation, null);
    }

    /**
     * Queues one PUBLISH on the destination's lane. The stage completes when the broker acknowledged it
     * (QoS 1 and 2) or it was written (QoS 0).
     *
     * @param requestId the correlation id of a request, to report "no matching subscribers"; else null
     */
    private CompletionStage<Void> send(Envelope envelope, String responseTopic, byte[] correlation, String requestId) {
        if (closed) {
            return CompletableFuture.failedFuture(new BrokerClosedException("The MQTT transport is closed ("
                    + context.redactedUri() + ")"));
        }
        String topic = envelope.destination();
        MqttMessage message;
        try {
            MqttTopicValidator.validate(topic, false, true);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new ConfigurationException("'" + topic + "' is not an MQTT topic"
                    + " name to publish to: " + e.getMessage(), e));
        }
        try {
            message = EnvelopeMapper.toMqtt(envelope, settings.qos(), responseTopic, correlation);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new ConfigurationException("The message to '" + topic + "' cannot"
                    + " be written as MQTT 5 (reply-to '" + responseTopic + "'): " + e.getMessage(), e));
        }
        long size = EnvelopeMapper.packetSize(topic, message);
        long limit = maxPacketSize;
        if (size > limit) {
            return CompletableFuture.failedFuture(new MessagingException("A message of " + envelope.body().length
                    + " bytes to '" + topic + "' makes an MQTT packet larger than the broker takes (" + limit
                    + " bytes, its Maximum Packet Size); send less or raise max_packet_size on the broker"));
        }
        return lanes.submit(topic, () -> publishOnLane(topic, message, requestId)).thenCompose(sent -> sent);
    }

    /** On a lane thread: waits for a slot of the window while the connection lives, then hands the message to Paho. */
    private CompletableFuture<Void> publishOnLane(String topic, MqttMessage message, String requestId)
            throws InterruptedException {
        CompletableFuture<Void> done = new CompletableFuture<>();
        FlightWindow slots;
        while (true) {
            if (closed) {
                throw new BrokerClosedException("The MQTT transport closed before this message was sent");
            }
            slots = window;
            if (!connected || slots.death() != null) {
                throw new ConnectionException("Not connected to " + context.redactedUri() + " (reconnecting): the"
                        + " message to '" + topic + "' was not sent");
            }
            if (slots.acquire(done, SLOT_WAIT_MS)) {
                break;
            }
        }
        FlightWindow taken = slots;
        try {
            client.publish(topic, message, null, new MqttActionListener() {
                @Override
                public void onSuccess(IMqttToken token) {
                    taken.release(done);
                    int[] codes = token.getReasonCodes();
                    int code = codes == null || codes.length == 0 ? 0 : codes[0];
                    if (code >= 0x80) {
                        done.completeExceptionally(new ConnectionException("The broker " + context.redactedUri()
                                + " did not take the message to '" + topic + "': " + reason(code)));
                        return;
                    }
                    if (code == NO_MATCHING_SUBSCRIBERS && requestId != null) {
                        context.replies().onNoResponders(requestId);
                    }
                    done.complete(null);
                }

                @Override
                public void onFailure(IMqttToken token, Throwable failure) {
                    taken.release(done);
                    done.completeExceptionally(sendFailure(topic, failure));
                }
            });
        } catch (MqttException e) {
            taken.release(done);
            done.completeExceptionally(sendFailure(topic, e));
        } catch (IllegalArgumentException e) { // a string MQTT cannot carry (control characters)
            taken.release(done);
            done.completeExceptionally(new CodecException("The message to '" + topic + "' cannot be written as MQTT 5:"
                    + " " + e.getMessage() + " (MQTT strings, such as user properties, take no control characters)", e));
        }
        return done;
    }

    private MessagingException sendFailure(String topic, Throwable failure) {
        if (closed) {
            return new BrokerClosedException("The MQTT transport closed before the broker acknowledged the message to '"
                    + topic + "'");
        }
        if (failure instanceof MqttException e && e.getReasonCode() >= 0x80 && e.getReasonCode() <= 0xFF) {
            return new ConnectionException("The broker " + context.redactedUri() + " did not take the message to '"
                    + topic + "': " + reason(e.getReasonCode()), failure);
        }
        return new ConnectionException("The message to '" + topic + "' was not sent to " + context.redactedUri() + ": "
                + (failure instanceof MqttException e ? describe(e) : rootMessage(failure)), failure);
    }

    // ---- receiving -------------------------------------------------------------------------------

    @Override
    public void messageArrived(String topic, MqttMessage message) {
        List<Integer> identifiers = message.getProperties() == null ? List.of()
                : message.getProperties().getSubscriptionIdentifiers();
        if (identifiers.isEmpty()) { // a broker without Subscription Identifiers: match the filters ourselves
            routeByTopic(topic, message);
            return;
        }
        Envelope envelope = null;
        for (Integer identifier : identifiers) {
            if (identifier == REPLY_SUBSCRIPTION) {
                onReply(topic, message);
                continue;
            }
            BrokerSubscription subscription = byIdentifier.get(identifier);
            if (subscription != null) {
                if (envelope == null) {
                    envelope = EnvelopeMapper.fromMqtt(topic, message);
                }
                subscription.deliver(envelope);
            }
        }
    }

    private void routeByTopic(String topic, MqttMessage message) {
        if (topic.equals(replyTopic)) {
            onReply(topic, message);
            return;
        }
        Envelope envelope = EnvelopeMapper.fromMqtt(topic, message);
        for (BrokerSubscription subscription : byIdentifier.values()) {
            String filter = subscription.shared ? subscription.filter.substring(subscription.filter.indexOf('/',
                    "$share/".length()) + 1) : subscription.filter;
            if (MqttTopicValidator.isMatched(filter, topic)) {
                subscription.deliver(envelope);
            }
        }
    }

    private void onReply(String topic, MqttMessage message) {
        if (closed) {
            return;
        }
        Envelope reply = EnvelopeMapper.fromMqtt(topic, message);
        if (reply.correlationId() == null) {
            log.debug("{}: a message on the reply topic without Correlation Data was dropped", name);
            return;
        }
        context.replies().onReply(reply);
    }

    @Override
    public void deliveryComplete(IMqttToken token) {
        // completions are handled by each publish's own listener
    }

    @Override
    public void connectComplete(boolean reconnect, String serverURI) {
        // connect() waits for its token itself
    }

    @Override
    public void authPacketArrived(int reasonCode, MqttProperties properties) {
        // no enhanced authentication
    }

    // ---- subscriptions ---------------------------------------------------------------------------

    @Override
    public TransportSubscription subscribe(String destination, SubscribeOptions options, InboundHandler handler) {
        if (closed) {
            throw new BrokerClosedException("The MQTT transport is closed (" + context.redactedUri() + ")");
        }
        int qos = settings.subscriptionQos(options);
        String group = options.group().orElse(null);
        List<String> problems = new ArrayList<>();
        if (group != null && (group.isEmpty() || group.indexOf('/') >= 0 || group.indexOf('+') >= 0
                || group.indexOf('#') >= 0)) {
            problems.add("the group '" + group + "' cannot be an MQTT shared subscription name: no '/', '+' or '#'");
        }
        String filter = group == null ? destination : "$share/" + group + "/" + destination;
        try {
            MqttTopicValidator.validate(filter, true, true);
        } catch (IllegalArgumentException e) {
            problems.add("'" + destination + "' is not an MQTT topic filter: " + e.getMessage());
        }
        if (!problems.isEmpty()) {
            throw ConfigurationException.of("MQTT subscription to '" + destination + "'", problems);
        }
        BrokerSubscription subscription;
        LocalSubscription local = new LocalSubscription(destination, handler, settings.subscriptionBuffer(),
                name + "-subscription-" + subscriptionThreads.incrementAndGet(), this::unsubscribe);
        synchronized (subscriptionLock) {
            subscription = byFilter.get(filter);
            if (subscription == null) {
                subscription = new BrokerSubscription(filter, nextIdentifier.getAndIncrement(), qos, group != null);
                byFilter.put(filter, subscription);
                byIdentifier.put(subscription.identifier, subscription);
            }
            subscription.members.add(local);
        }
        locals.add(local);
        local.start();
        try {
            // sent again even when the filter is subscribed already: the same SUBSCRIBE is harmless, and
            // its SUBACK proves that the broker has the subscription now
            subscribeWhenConnected(subscription);
        } catch (RuntimeException e) {
            local.close();
            throw e;
        }
        return local;
    }

    private void subscribeWhenConnected(BrokerSubscription subscription) {
        long deadline = System.nanoTime() + settings.connectTimeout().toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            if (closed) {
                throw new BrokerClosedException("The MQTT transport is closed (" + context.redactedUri() + ")");
            }
            if (!awaitConnected(deadline)) {
                break;
            }
            try {
                subscribeAndWait(subscription.filter, subscription.identifier, subscription.qos);
                return;
            } catch (ConnectionException e) {
                last = e;
                if (connected) { // a refusal, not an outage
                    throw e;
                }
            }
        }
        throw last != null ? last : new ConnectionException("Cannot subscribe to '" + subscription.filter + "': not"
                + " connected to " + context.redactedUri() + " within " + settings.connectTimeout().toMillis() + " ms");
    }

    private boolean awaitConnected(long deadline) {
        synchronized (state) {
            while (!connected && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(state, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ConnectionException("Interrupted while waiting for the connection to "
                            + context.redactedUri(), e);
                }
            }
            return connected;
        }
    }

    /** Called once when a Parley subscription closes: the last member of a filter unsubscribes it. */
    private void unsubscribe(LocalSubscription local) {
        locals.remove(local);
        IMqttToken token = null;
        String filter = null;
        synchronized (subscriptionLock) {
            for (BrokerSubscription subscription : byFilter.values()) {
                if (subscription.members.remove(local) && subscription.members.isEmpty()) {
                    filter = subscription.filter;
                    byFilter.remove(filter);
                    byIdentifier.remove(subscription.identifier);
                    if (connected && !closed) {
                        try {
                            // sent under the lock: a new SUBSCRIBE to the same filter goes after it
                            token = client.unsubscribe(filter);
                        } catch (MqttException | RuntimeException e) {
                            log.debug("{}: UNSUBSCRIBE of '{}' not sent: {}", name, filter, e.toString());
                        }
                    }
                    break;
                }
            }
        }
        if (token != null) {
            try {
                // once the broker has it, no further message of the filter comes to this connection; bounded
                // short, as close() must not wait long on a broker that does not answer
                token.waitForCompletion(Math.min(UNSUBSCRIBE_WAIT_MS, settings.connectTimeout().toMillis()));
            } catch (MqttException e) {
                log.debug("{}: UNSUBSCRIBE of '{}' failed: {}", name, filter, e.toString());
            }
        }
    }

    // ---- closing ---------------------------------------------------------------------------------

    @Override
    public void close() {
        if (closed) {
            return;
        }
        lanes.close(Duration.ofSeconds(2)); // queued sends get a bounded time to leave
        closed = true;
        synchronized (state) {
            state.notifyAll();
        }
        reconnector.shutdownNow();
        for (LocalSubscription local : locals) {
            local.close();
        }
        window.kill(new BrokerClosedException("The MQTT transport closed before the broker acknowledged this message"));
        closeQuietly();
        for (LocalSubscription local : locals) {
            local.join(1_000);
        }
        try {
            reconnector.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void disconnectQuietly() {
        try {
            // Paho waits the whole timeout for its DISCONNECT token; the broker needs no more than a moment
            client.disconnectForcibly(0, 100, client.isConnected());
        } catch (MqttException | RuntimeException e) {
            log.debug("{}: disconnect: {}", name, e.toString());
        }
    }

    private void closeQuietly() {
        closed = true;
        reconnector.shutdownNow();
        lanes.close(Duration.ZERO);
        disconnectQuietly();
        try {
            client.close(true);
        } catch (MqttException | RuntimeException e) {
            log.debug("{}: close: {}", name, e.toString());
        }
    }
}

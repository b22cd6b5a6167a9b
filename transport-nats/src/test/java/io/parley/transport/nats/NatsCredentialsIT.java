package io.parley.transport.nats;

import io.nats.client.NKey;
import io.nats.client.support.JwtUtils;
import io.parley.api.Broker;
import io.parley.api.BrokerOptions;
import io.parley.api.ConfigurationException;
import io.parley.api.ConnectionException;
import io.parley.api.RequestOptions;
import io.parley.tck.BrokerProcess;
import io.parley.tck.ConsoleCapture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NATS credentials beyond user, password and token, against two private nats-servers: one whose users
 * are NKeys, and one in operator mode (decentralised JWT authentication: an operator, an account
 * preloaded into a memory resolver, users with JWTs the account issued), the keys and JWTs made here with
 * jnats' {@link NKey} and {@link JwtUtils}, as {@code nsc} would.
 */
class NatsCredentialsIT {

    private static final SecureRandom RANDOM = new SecureRandom();

    private static BrokerProcess nkeyServer;
    private static BrokerProcess jwtServer;
    private static NKey nkeyUser;
    private static NKey account;

    @BeforeAll
    static void servers() throws Exception {
        nkeyUser = NKey.createUser(RANDOM);
        nkeyServer = NatsTestSupport.start("nats://127.0.0.1:%d",
                "authorization { users = [ { nkey: " + new String(nkeyUser.getPublicKey()) + " } ] }");

        NKey operator = NKey.createOperator(RANDOM);
        account = NKey.createAccount(RANDOM);
        String accountId = new String(account.getPublicKey());
        String operatorJwt = jwt(operator, new String(operator.getPublicKey()), "parley-test-operator",
                "{\"type\":\"operator\",\"version\":2}");
        String accountJwt = jwt(operator, accountId, "parley-test-account", "{\"type\":\"account\",\"version\":2,"
                + "\"limits\":{\"subs\":-1,\"data\":-1,\"payload\":-1,\"imports\":-1,\"exports\":-1,"
                + "\"wildcards\":true,\"conn\":-1,\"leaf\":-1}}");
        jwtServer = NatsTestSupport.start("nats://127.0.0.1:%d", String.join("\n",
                "operator: " + operatorJwt,
                "resolver: MEMORY",
                "resolver_preload: { " + accountId + ": " + accountJwt + " }"));
    }

    @AfterAll
    static void stop() throws Exception {
        for (BrokerProcess server : new BrokerProcess[] {nkeyServer, jwtServer}) {
            if (server != null) {
                server.close();
            }
        }
    }

    @Test
    void nkeySeedFileLogsIn() throws Exception {
        String seed = new String(nkeyUser.getSeed());
        // as `nk -gen user` writes it, and with the armour nsc puts around seeds
        for (String text : new String[] {seed + "\n", "-----BEGIN USER NKEY SEED-----\n" + seed + "\n------END USER NKEY SEED------\n"}) {
            assertServes(nkeyServer.uri(), Map.of("nats.nkey", NatsTestSupport.writeTemp("user.nk", text).toString()));
        }
    }

    @Test
    void credentialsFileLogsIn() throws Exception {
        NKey user = NKey.createUser(RANDOM);
        assertServes(jwtServer.uri(), Map.of("nats.credentials", creds(userJwt(account, user), user).toString()));
    }

    @Test
    void userJwtWithItsSeedLogsIn() throws Exception {
        NKey user = NKey.createUser(RANDOM);
        assertServes(jwtServer.uri(), Map.of(
                "nats.jwt", NatsTestSupport.writeTemp("user.jwt", userJwt(account, user) + "\n").toString(),
                "nats.nkey", NatsTestSupport.writeTemp("user.nk", new String(user.getSeed())).toString()));
    }

    @Test
    void refusedCredentialsFailAtOnceNamingTheFileAndNoSecret() throws Exception {
        NKey stranger = NKey.createUser(RANDOM);
        Path strangerSeed = NatsTestSupport.writeTemp("stranger.nk", new String(stranger.getSeed()));
        // a user of an account the server does not know
        NKey otherAccount = NKey.createAccount(RANDOM);
        Path strangerCreds = creds(userJwt(otherAccount, stranger), stranger);
        try (ConsoleCapture logs = ConsoleCapture.start()) {
            for (Object[] attempt : new Object[][] {
                    {nkeyServer.uri(), "nats.nkey", strangerSeed},
                    {jwtServer.uri(), "nats.credentials", strangerCreds}}) {
                BrokerOptions options = BrokerOptions.builder().property((String) attempt[1], attempt[2].toString()).build();
                long start = System.nanoTime();
                ConnectionException e = assertThrows(ConnectionException.class,
                        () -> Broker.connect((String) attempt[0], options).close());
                long took = (System.nanoTime() - start) / 1_000_000;
                assertTrue(e.getMessage().contains("refused the login"), e.getMessage());
                assertTrue(e.getMessage().contains(attempt[1] + ")") && e.getMessage().contains(attempt[2].toString()),
                        "the message names the property and the file: " + e.getMessage());
                assertFalse(e.getMessage().contains(new String(stranger.getSeed())), e.getMessage());
                assertTrue(took < 1_000, "took " + took + " ms");
            }
            assertFalse(logs.text().contains(new String(stranger.getSeed())), "a seed was logged");
            assertEquals("", logs.text(), "a refused login is told by its exception only");
        }
    }

    @Test
    void unreadableOrWrongCredentialFilesAreConfigurationErrorsNamingThePath() throws Exception {
        String missing = NatsTestSupport.writeTemp("x", "").resolveSibling("missing.creds").toString();
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> Broker.connect(jwtServer.uri(),
                BrokerOptions.builder().property("nats.credentials", missing).build()));
        assertTrue(e.getMessage().contains(missing) && e.getMessage().contains("cannot be read"), e.getMessage());

        // a seed-like word that is no valid seed must not be echoed
        String notASeed = "SUNOTAVALIDSEEDBUTSECRETLOOKING";
        Path noSeed = NatsTestSupport.writeTemp("bad.nk", notASeed + "\n");
        Path noCreds = NatsTestSupport.writeTemp("bad.creds", "-----BEGIN NATS USER JWT-----\nnot a jwt\n" + notASeed + "\n");
        e = assertThrows(ConfigurationException.class, () -> Broker.connect(jwtServer.uri(), BrokerOptions.builder()
                .property("nats.nkey", noSeed.toString())
                .property("nats.credentials", noCreds.toString())
                .property("nats.user", "someone").property("nats.password", "pw")
                .build()));
        assertEquals(4, e.problems().size(), e.problems().toString()); // both files, and two conflicts
        assertTrue(e.getMessage().contains(noSeed.toString()) && e.getMessage().contains(noCreds.toString()), e.getMessage());
        assertFalse(e.getMessage().contains(notASeed), e.getMessage());

        e = assertThrows(ConfigurationException.class, () -> Broker.connect(jwtServer.uri(), BrokerOptions.builder()
                .property("nats.jwt", NatsTestSupport.writeTemp("user.jwt", "eyJ.a.b").toString()).build()));
        assertTrue(e.getMessage().contains("needs the NKey seed"), e.getMessage());
    }

    private static void assertServes(String uri, Map<String, String> properties) {
        BrokerOptions.Builder options = BrokerOptions.builder();
        properties.forEach(options::property);
        try (Broker service = Broker.connect(uri, options.build()); Broker client = Broker.connect(uri, options.build())) {
            service.subscribe("parley-it.credentials", String.class, name -> "Hello, " + name);
            assertEquals(Optional.of("Hello, Ada"), client.rpc().request("parley-it.credentials", "Ada", String.class,
                    RequestOptions.timeout(Duration.ofSeconds(5))));
        }
    }

    private static String jwt(NKey signer, String subject, String name, String claims) throws Exception {
        return JwtUtils.issueJWT(signer, subject, name, null, JwtUtils.currentTimeSeconds(),
                new String(signer.getPublicKey()), () -> claims);
    }

    private static String userJwt(NKey account, NKey user) throws Exception {
        return JwtUtils.issueUserJWT(account, new String(account.getPublicKey()), new String(user.getPublicKey()), "parley-test-user");
    }

    /** A {@code .creds} file as {@code nsc generate creds} writes it. */
    private static Path creds(String userJwt, NKey user) throws Exception {
        return NatsTestSupport.writeTemp("user.creds", String.join("\n",
                "-----BEGIN NATS USER JWT-----", userJwt, "------END NATS USER JWT------", "",
                "************************* IMPORTANT *************************",
                "NKEY Seed printed below can be used to sign and prove identity.",
                "NKEYs are sensitive and should be treated as secrets.", "",
                "-----BEGIN USER NKEY SEED-----", new String(user.getSeed()), "------END USER NKEY SEED------", "",
                "*************************************************************", ""));
    }
}

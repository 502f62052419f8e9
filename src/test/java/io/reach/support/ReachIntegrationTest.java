package io.reach.support;

import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Base of the integration tests: the whole of Reach on a random port with its own fresh database (H2, or
 * PostgreSQL in the PostgreSQL pass), spoken to over real HTTP on loopback.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "reach.api.token=" + ReachIntegrationTest.TOKEN,
        "reach.sandbox.graph-api-port=0",
        "spring.datasource.hikari.maximum-pool-size=10",
        "spring.datasource.hikari.minimum-idle=1",
        "reach.sandbox.smpp.port=0",
        "reach.sandbox.twilio.port=0",
        "reach.messaging.poll-interval=100ms",
        "reach.messaging.smpp-refresh-interval=500ms",
        "reach.whatsapp.poll-interval=100ms",
        "reach.messaging.unmatched-sweep-interval=200ms",
        // No look at the senders' tokens of its own: a test asks for one, and counts what its stand-ins for Meta are asked.
        "reach.whatsapp.token-check-delay=3650d"
})
public abstract class ReachIntegrationTest {

    public static final String TOKEN = "test-token";

    @LocalServerPort
    protected int port;

    protected Api api;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        TestDatabase.register(registry);
        Path dataDir = Path.of("target", "test-data", UUID.randomUUID().toString());
        registry.add("reach.data-dir", dataDir::toString);
    }

    @BeforeEach
    void connectApi() {
        api = new Api("http://127.0.0.1:" + port, TOKEN);
    }
}

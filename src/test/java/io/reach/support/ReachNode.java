package io.reach.support;

import io.reach.ReachApplication;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.TypeExcludeFilter;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.core.type.classreading.MetadataReader;
import org.springframework.core.type.classreading.MetadataReaderFactory;

/**
 * A whole Reach process started by a test (one Spring application on its own port), so that a test can run
 * several against one database, or stop one and start another in its place.
 */
public final class ReachNode implements AutoCloseable {

    /** The clock every node of a test shares, moved by the test. */
    public static final OffsetClock CLOCK = new OffsetClock();

    private final ConfigurableApplicationContext context;
    private final int port;
    private final Api api;

    private ReachNode(ConfigurableApplicationContext context) {
        this.context = context;
        this.port = ((WebServerApplicationContext) context).getWebServer().getPort();
        this.api = new Api("http://127.0.0.1:" + port, ReachIntegrationTest.TOKEN);
    }

    /** Gives every node the shared clock (a test configuration, so that no @SpringBootTest picks it up). */
    @TestConfiguration(proxyBeanMethods = false)
    static class SharedClock {
        @Bean
        @Primary
        Clock sharedClock() {
            return CLOCK;
        }
    }

    public static ReachNode start(String name, Map<String, String> database, Map<String, String> properties) {
        Map<String, String> all = settings(name, database, properties);
        ConfigurableApplicationContext context = new SpringApplicationBuilder(ReachApplication.class, SharedClock.class)
                .initializers(c -> c.getBeanFactory().registerSingleton("testClassesExcluded", new TestClassesExcluded()))
                // As arguments: they then win over application.yml, as a user's --server.port would.
                .run(all.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new));
        return new ReachNode(context);
    }

    /** The settings a node named {@code name} runs with: the tests' defaults, then the database's, then {@code properties}. */
    public static Map<String, String> settings(String name, Map<String, String> database, Map<String, String> properties) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("reach.api.token", ReachIntegrationTest.TOKEN);
        all.put("reach.data-dir", "target/test-data/" + UUID.randomUUID());
        all.put("reach.node-id", name);
        // Free ports unless a test names one: a Reach started by README's first command may hold the defaults.
        all.put("server.port", "0");
        all.put("reach.sandbox.graph-api-port", "0");
        all.put("reach.sandbox.smpp.port", "0");
        all.put("reach.sandbox.twilio.port", "0");
        all.put("reach.whatsapp.poll-interval", "100ms");
        all.put("reach.messaging.poll-interval", "100ms");
        all.put("reach.messaging.smpp-refresh-interval", "500ms");
        all.put("reach.messaging.unmatched-sweep-interval", "200ms");
        all.put("reach.journeys.poll-interval", "100ms");
        all.put("reach.whatsapp.token-check-delay", "3650d"); // a test counts what its stand-ins for Meta are asked
        all.put("spring.main.banner-mode", "off");
        all.put("spring.datasource.hikari.maximum-pool-size", "10");
        all.put("spring.datasource.hikari.minimum-idle", "1");
        all.putAll(database);
        all.putAll(properties);
        return all;
    }

    /** Keeps the tests' own configurations (their clocks) out of the component scan of a node started by hand. */
    static final class TestClassesExcluded extends TypeExcludeFilter {
        @Override
        public boolean match(MetadataReader reader,
                             MetadataReaderFactory factory) {
            String name = reader.getClassMetadata().getClassName();
            return name.startsWith("io.reach.support.") || name.matches(".*(IT|Test)(\\$.*)?");
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof TestClassesExcluded;
        }

        @Override
        public int hashCode() {
            return TestClassesExcluded.class.hashCode();
        }
    }

    /**
     * A free port for a node started later, from below the kernel's ephemeral range (Linux: 32768 and up). A port
     * from that range (a server on port 0) could be taken meanwhile as the local port of an outgoing connection — a
     * connection pool filling up in a node started first — and the node would then fail to bind it.
     */
    public static int freePort() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = random.nextInt(20_000, 32_000);
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            } catch (IOException taken) {
                // another one
            }
        }
        throw new UncheckedIOException(new IOException("no free port between 20000 and 32000"));
    }

    public Api api() {
        return api;
    }

    public int port() {
        return port;
    }

    public <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    /** Every bean of a type, by name. */
    public <T> Map<String, T> beans(Class<T> type) {
        return context.getBeansOfType(type);
    }

    @Override
    public void close() {
        context.close();
    }
}

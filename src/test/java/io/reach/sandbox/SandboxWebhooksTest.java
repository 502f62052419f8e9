package io.reach.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.reach.messaging.whatsapp.WebhookSignature;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The sandbox's webhooks against a local HTTP receiver: one event a webhook at a trickle, batches under load. */
class SandboxWebhooksTest {

    private static final String SECRET = "test-app-secret";
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    private final JsonMapper json = JsonMapper.builder().build();
    private final List<JsonNode> received = new CopyOnWriteArrayList<>();
    private final CountDownLatch firstAnswer = new CountDownLatch(1);
    private final List<String> badSignatures = new CopyOnWriteArrayList<>();
    private HttpServer receiver;
    private SandboxWebhooks webhooks;
    /** How many webhooks the receiver still answers with a 500, as Reach does when it is down or failing. */
    private final AtomicInteger refusals = new AtomicInteger();

    @BeforeEach
    void startReceiver() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        receiver.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        receiver.createContext("/webhooks/whatsapp", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            if (!WebhookSignature.matches(body, SECRET, exchange.getRequestHeaders().getFirst("X-Hub-Signature-256"))) {
                badSignatures.add(new String(body));
            }
            boolean first = received.isEmpty();
            received.add(json.readTree(body));
            if (first) {
                try {
                    // Reach is slow to answer the first webhook: what falls due meanwhile must wait for a slot.
                    firstAnswer.await(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            exchange.sendResponseHeaders(refusals.getAndUpdate(left -> Math.max(0, left - 1)) > 0 ? 500 : 200, -1);
            exchange.close();
        });
        receiver.start();
    }

    @AfterEach
    void stop() {
        if (webhooks != null) {
            webhooks.shutdown();
        }
        receiver.stop(0);
    }

    @Test
    void carriesWhatBecameDueMeanwhileInOneWebhookKeepingEachMessagesOrder() {
        webhooks = webhooks(10, 1);
        Instant now = Instant.now();
        for (int i = 0; i < 25; i++) {
            String wamid = "wamid." + i;
            webhooks.sendInOrder(now, List.of(
                    new SandboxWebhooks.Scheduled(0, webhooks.status(wamid, "3161200000" + i, "sent", "m" + i, null)),
                    new SandboxWebhooks.Scheduled(0, webhooks.status(wamid, "3161200000" + i, "delivered", "m" + i, null))));
        }
        // One webhook is in flight (held by the receiver); the other messages' first events wait for it.
        await().atMost(PATIENCE).until(() -> received.size() == 1 && webhooks.waiting() == 25 - statusesOf(received.getFirst()).size());
        firstAnswer.countDown();

        await().atMost(PATIENCE).until(() -> statuses().size() == 50);
        assertThat(badSignatures).isEmpty();
        assertThat(received).allSatisfy(payload -> assertThat(statusesOf(payload)).hasSizeLessThanOrEqualTo(10));
        assertThat(received.size()).as("webhooks for 50 events").isLessThan(10);
        List<String> all = statuses();
        assertThat(all).doesNotHaveDuplicates();
        for (int i = 0; i < 25; i++) {
            assertThat(payloadOf("wamid." + i + ":sent")).as("message %d", i).isLessThan(payloadOf("wamid." + i + ":delivered"));
        }
    }

    @Test
    void triesAWebhookAgainUntilReachTakesItAsMetaDoes() {
        firstAnswer.countDown();
        refusals.set(8); // more tries than the sandbox used to make before it gave up (6)
        webhooks = webhooks(100, 2);
        webhooks.retryingAtMostEvery(Duration.ofMillis(20));

        webhooks.sendInOrder(Instant.now(), List.of(
                new SandboxWebhooks.Scheduled(0, webhooks.status("wamid.r", "31612000001", "delivered", "m", null))));

        await().atMost(PATIENCE).until(() -> received.size() == 9);
        assertThat(refusals.get()).isZero();
        assertThat(statusesOf(received.getLast())).containsExactly("wamid.r:delivered");
        assertThat(SandboxWebhooks.retryWait(1, SandboxWebhooks.LONGEST_RETRY_WAIT_MS)).isEqualTo(500);
        assertThat(SandboxWebhooks.retryWait(4, SandboxWebhooks.LONGEST_RETRY_WAIT_MS)).isEqualTo(4_000);
        assertThat(SandboxWebhooks.retryWait(5, SandboxWebhooks.LONGEST_RETRY_WAIT_MS)).isEqualTo(5_000);
        assertThat(SandboxWebhooks.retryWait(40, SandboxWebhooks.LONGEST_RETRY_WAIT_MS)).isEqualTo(5_000);
    }

    @Test
    void sendsEachEventAsAWebhookOfItsOwnWhenNothingElseIsDue() {
        firstAnswer.countDown();
        webhooks = webhooks(100, 2);
        webhooks.sendInOrder(Instant.now(), List.of(
                new SandboxWebhooks.Scheduled(0, webhooks.status("wamid.a", "31612000001", "sent", "m", null)),
                new SandboxWebhooks.Scheduled(1, webhooks.reply("31612000001", "wamid.a", new Handset.Reply(0L, "YES", "Yes", null, null), false))));

        await().atMost(PATIENCE).until(() -> received.size() == 2);
        JsonNode reply = received.get(1).path("entry").path(0).path("changes").path(0).path("value");
        assertThat(statusesOf(received.get(0))).hasSize(1);
        assertThat(reply.path("messages").path(0).path("button").path("payload").asString()).isEqualTo("YES");
        assertThat(reply.path("messages").path(0).path("context").path("id").asString()).isEqualTo("wamid.a");
        assertThat(reply.path("contacts").path(0).path("wa_id").asString()).isEqualTo("31612000001");
        assertThat(reply.path("metadata").path("phone_number_id").asString()).isEqualTo("100000000000009");
    }

    @Test
    void aTypedReplyQuotesNoMessageUnlessItsRuleSaysSo() {
        firstAnswer.countDown();
        webhooks = webhooks(100, 2);
        webhooks.sendInOrder(Instant.now(), List.of(
                new SandboxWebhooks.Scheduled(0, webhooks.reply("31612000001", "wamid.a", new Handset.Reply(0L, null, null, "Thanks", null), false)),
                new SandboxWebhooks.Scheduled(1, webhooks.reply("31612000001", "wamid.a", new Handset.Reply(0L, null, null, "At five", true), false))));

        // One callback each, or both in one: what counts is each message's context.
        Supplier<List<JsonNode>> messages = () -> received.stream()
                .flatMap(payload -> StreamSupport.stream(payload.path("entry").path(0).path("changes").path(0)
                        .path("value").path("messages").spliterator(), false)).toList();
        await().atMost(PATIENCE).until(() -> messages.get().size() == 2);
        JsonNode typed = messages.get().get(0);
        JsonNode quoted = messages.get().get(1);
        assertThat(typed.path("text").path("body").asString()).isEqualTo("Thanks");
        assertThat(typed.has("context")).isFalse();
        assertThat(quoted.path("text").path("body").asString()).isEqualTo("At five");
        assertThat(quoted.path("context").path("id").asString()).isEqualTo("wamid.a");
    }

    @Test
    void reportsEachStatusAndReplyAtTheTimeItComesAboutOnReachsClock() {
        firstAnswer.countDown();
        // Reach's clock, moved on a month as a test moves it; the events are made at the send, a minute before they
        // come about: a handset's text is typed after the message came, and Reach takes it as the answer to the
        // question sent before it.
        Instant sentAt = Instant.now().plus(Duration.ofDays(30)).truncatedTo(ChronoUnit.SECONDS);
        Instant cameAbout = sentAt.plus(Duration.ofMinutes(1));
        AtomicReference<Instant> reachNow = new AtomicReference<>(sentAt);
        webhooks = webhooks(100, 1, new Clock() {
            @Override
            public Instant instant() {
                return reachNow.get();
            }

            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                throw new UnsupportedOperationException();
            }
        });
        List<SandboxWebhooks.Scheduled> events = List.of(
                new SandboxWebhooks.Scheduled(0, webhooks.status("wamid.a", "31612000001", "sent", "m", null)),
                new SandboxWebhooks.Scheduled(1, webhooks.reply("31612000001", null, new Handset.Reply(0L, null, null, "Hi", null), false)));
        reachNow.set(cameAbout);
        webhooks.sendInOrder(Instant.now(), events);

        Function<String, List<String>> times = field -> received.stream()
                .flatMap(payload -> StreamSupport.stream(payload.path("entry").path(0).path("changes").path(0)
                        .path("value").path(field).spliterator(), false))
                .map(item -> item.path("timestamp").asString()).toList();
        await().atMost(PATIENCE).until(() -> times.apply("statuses").size() == 1 && times.apply("messages").size() == 1);
        assertThat(times.apply("statuses")).containsExactly(String.valueOf(cameAbout.getEpochSecond()));
        assertThat(times.apply("messages")).containsExactly(String.valueOf(cameAbout.getEpochSecond()));
    }

    private SandboxWebhooks webhooks(int batchSize, int concurrency) {
        return webhooks(batchSize, concurrency, Clock.systemUTC());
    }

    private SandboxWebhooks webhooks(int batchSize, int concurrency, Clock clock) {
        SandboxWebhooks created = new SandboxWebhooks(json, clock, "100000000000009", "200000000000009", "+15550100009", SECRET,
                batchSize, concurrency);
        created.target(URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/webhooks/whatsapp"));
        return created;
    }

    /** Every status received, as "wamid:status", in the order of the webhooks that carried them. */
    private List<String> statuses() {
        List<String> all = new ArrayList<>();
        received.forEach(payload -> all.addAll(statusesOf(payload)));
        return all;
    }

    private static List<String> statusesOf(JsonNode payload) {
        List<String> statuses = new ArrayList<>();
        for (JsonNode change : payload.path("entry").path(0).path("changes")) {
            change.path("value").path("statuses").forEach(s -> statuses.add(s.path("id").asString() + ":" + s.path("status").asString()));
        }
        return statuses;
    }

    private int payloadOf(String status) {
        for (int i = 0; i < received.size(); i++) {
            if (statusesOf(received.get(i)).contains(status)) {
                return i;
            }
        }
        throw new AssertionError(status + " was not received");
    }
}

package io.reach.sender;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.support.Api;
import io.reach.support.Fixtures;
import io.reach.support.ReachIntegrationTest;
import io.reach.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/** A sender nothing uses is deleted through the API; one that a flow names, that sent or received messages, or the sandbox's stays. */
class SenderDeletionIT extends ReachIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final AtomicInteger SENDERS = new AtomicInteger();

    @Autowired
    JdbcClient jdbc;

    @Autowired
    DataSource dataSource;

    @Test
    void deletesASenderNothingUsesClosesItsSmppSessionAndFreesItsName() {
        String name = "operator-" + SENDERS.incrementAndGet();
        String id = smppSender(name);
        await().atMost(PATIENCE).until(() -> bound(name));

        Api.Response deleted = api.delete("/api/v1/senders/" + name);

        assertThat(deleted.status()).as(deleted.body()).isEqualTo(204);
        assertThat(api.get("/api/v1/senders/" + id).status()).isEqualTo(404);
        assertThat(api.get("/api/v1/senders").json()).extracting(sender -> sender.path("name").asString()).doesNotContain(name);
        await().atMost(PATIENCE).until(() -> !listed(name));
        // The name (and the connection's settings) can be registered again, as a new sender.
        String again = smppSender(name);
        assertThat(again).isNotEqualTo(id);
        assertThat(api.delete("/api/v1/senders/" + again).status()).isEqualTo(204);
        assertThat(api.delete("/api/v1/senders/" + again).status()).isEqualTo(404);
    }

    @Test
    void keepsASenderThatAFlowVersionNamesThatSentMessagesOrThatIsTheSandboxs() {
        String name = "shop-sms-" + SENDERS.incrementAndGet();
        String id = smppSender(name);
        String flowName = "sender-users-" + SENDERS.get();
        Api.Response draft = api.post("/api/v1/flows", """
                {"name":"%s","entry":{"type":"api"},"start":"sms","steps":[
                 {"id":"sms","type":"send_sms","sender":"%s","text":"Your order is ready","category":"utility","next":"end"},
                 {"id":"end","type":"end"}]}""".formatted(flowName, name));
        assertThat(draft.status()).as(draft.body()).isIn(200, 201);

        Api.Response namedByADraft = api.delete("/api/v1/senders/" + name);

        assertThat(namedByADraft.status()).as(namedByADraft.body()).isEqualTo(409);
        assertThat(namedByADraft.json().path("error").asString()).isEqualTo("sender_in_use");
        assertThat(namedByADraft.json().path("message").asString())
                .contains("flow " + flowName + " version 1 (draft)").doesNotContain("secret");
        assertThat(api.post("/api/v1/flows/" + flowName + "/publish", "").status()).isEqualTo(200);
        assertThat(api.delete("/api/v1/senders/" + id).json().path("message").asString())
                .contains("flow " + flowName + " version 1;");

        String sent = "other-sms-" + SENDERS.incrementAndGet();
        smppSender(sent);
        await().atMost(PATIENCE).until(() -> bound(sent));
        String phone = "+3161239" + String.format("%04d", SENDERS.get());
        Fixtures.consentingContact(api, phone);
        Api.Response sms = api.post("/api/v1/messages/sms", Map.of("sender", sent, "to", phone, "text", "Hello",
                "category", "utility"));
        assertThat(sms.status()).as(sms.body()).isEqualTo(202);
        Api.Response withMessages = api.delete("/api/v1/senders/" + sent);
        assertThat(withMessages.status()).as(withMessages.body()).isEqualTo(409);
        assertThat(withMessages.json().path("message").asString()).contains("messages were sent or received through it");
        assertThat(api.get("/api/v1/senders/" + sent).status()).isEqualTo(200);
        assertThat(listed(sent)).as("its session stays").isTrue();

        Api.Response sandbox = api.delete("/api/v1/senders/sandbox-sms");
        assertThat(sandbox.status()).as(sandbox.body()).isEqualTo(409);
        assertThat(sandbox.json().path("message").asString()).contains("the sandbox's");
        assertThat(api.delete("/api/v1/senders/no-such-sender").status()).isEqualTo(404);
    }

    @Test
    void aFlowIsNotPublishedWithASenderAnotherNodeDeletedWhileThisNodesSnapshotStillHasIt() {
        String name = "gone-sms-" + SENDERS.incrementAndGet();
        String id = smppSender(name);
        String flowName = "publish-after-deletion-" + SENDERS.get();
        String document = """
                {"name":"%s","entry":{"type":"api"},"start":"sms","steps":[
                 {"id":"sms","type":"send_sms","sender":"%s","text":"Your order is ready","category":"utility","next":"end"},
                 {"id":"end","type":"end"}]}""".formatted(flowName, name);
        assertThat(api.post("/api/v1/flows", document).status()).isIn(200, 201);
        // Deleted as another node deletes it: this node's snapshot of the senders still has it for up to 10 s.
        assertThat(jdbc.sql("DELETE FROM senders WHERE id = ?").param(UUID.fromString(id)).update()).isEqualTo(1);

        Api.Response published = api.post("/api/v1/flows/" + flowName + "/publish", "");

        assertThat(published.status()).as(published.body()).isEqualTo(400);
        assertThat(published.json().path("message").asString()).isEqualTo("step sms: missing sender: " + name
                + " is not registered (it was deleted just now)");
        assertThat(published.json().path("details").path(0).path("step").asString()).isEqualTo("sms");
        assertThat(api.get("/api/v1/flows/" + flowName).json().path("status").asString()).isEqualTo("draft");
    }

    @Test
    void aMessageIsNotSentThroughASenderAnotherNodeDeletedWhileThisNodesSnapshotStillHasIt() {
        String name = "gone-before-send-" + SENDERS.incrementAndGet();
        String id = smppSender(name);
        String phone = "+3161238" + String.format("%04d", SENDERS.get());
        Fixtures.consentingContact(api, phone);
        // Looked up by this node, so that its snapshot of the senders has it (for 10 s), then deleted as another node
        // deletes it.
        assertThat(api.get("/api/v1/senders/" + name).status()).isEqualTo(200);
        assertThat(jdbc.sql("DELETE FROM senders WHERE id = ?").param(UUID.fromString(id)).update()).isEqualTo(1);

        Api.Response sms = api.post("/api/v1/messages/sms", Map.of("sender", name, "to", phone, "text", "Hello",
                "category", "utility"));

        // It was a 500 internal_error: the message's foreign key refused the sender.
        assertThat(sms.status()).as(sms.body()).isEqualTo(404);
        assertThat(sms.json().path("error").asString()).isEqualTo("sender_not_found");
        assertThat(sms.json().path("message").asString()).isEqualTo("sender: the sender " + id + " was deleted just now");
        assertThat(sms.json().path("details").path(0).path("field").asString()).isEqualTo("sender");
        assertThat(jdbc.sql("SELECT COUNT(*) FROM messages WHERE recipient = ?").param(phone).query(Integer.class).single())
                .isZero();
    }

    @Test
    void aPublishHoldsTheSendersItNamesInTheOrderOfTheirIdsSoThatTwoPublishesDoNotDeadlock() throws Exception {
        String first = "held-a-" + SENDERS.incrementAndGet();
        String second = "held-b-" + SENDERS.get();
        String firstId = smppSender(first);
        String secondId = smppSender(second);
        // The lower id in the databases' order (of their bytes, as their text compares), and the other.
        boolean firstIsLower = firstId.compareTo(secondId) < 0;
        String lowerName = firstIsLower ? first : second;
        UUID lower = UUID.fromString(firstIsLower ? firstId : secondId);
        UUID higher = UUID.fromString(firstIsLower ? secondId : firstId);
        // The higher by its id, whose text sorts before any name, and the lower by its name: held in the order of
        // what the steps write, a publish holds the higher while it waits for the lower, and one that names them the
        // other way round holds the lower while it waits for the higher.
        String flowName = "held-senders-" + SENDERS.get();
        assertThat(api.post("/api/v1/flows", """
                {"name":"%s","entry":{"type":"api"},"start":"one","steps":[
                 {"id":"one","type":"send_sms","sender":"%s","text":"One","category":"utility","next":"two"},
                 {"id":"two","type":"send_sms","sender":"%s","text":"Two","category":"utility","next":"end"},
                 {"id":"end","type":"end"}]}""".formatted(flowName, higher, lowerName)).status()).isIn(200, 201);
        CompletableFuture<Api.Response> publish;

        try (Connection holder = TestDatabase.holdRowLock(dataSource,
                "SELECT id FROM senders WHERE id = ? FOR UPDATE", lower)) {
            publish = CompletableFuture.supplyAsync(
                    () -> api.post("/api/v1/flows/" + flowName + "/publish", ""));
            await().atMost(PATIENCE).until(() -> TestDatabase.sessionsWaitingForALock(jdbc, "senders") > 0);

            // While it waits for the lower, the higher is free: it holds none after the one it waits for.
            try (Connection other = dataSource.getConnection()) {
                other.setAutoCommit(false);
                try (PreparedStatement higherNow = other.prepareStatement(
                        "SELECT id FROM senders WHERE id = ? FOR UPDATE NOWAIT")) {
                    higherNow.setObject(1, higher);
                    try (ResultSet held = higherNow.executeQuery()) {
                        assertThat(held.next()).isTrue();
                    }
                } finally {
                    other.rollback();
                }
            }
            holder.commit();
        }

        Api.Response published = publish.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(published.status()).as(published.body()).isEqualTo(200);
        assertThat(published.json().path("status").asString()).isEqualTo("published");
    }

    /** Registers an SMPP sender bound to the sandbox's SMSC; its id. */
    private String smppSender(String name) {
        JsonNode sandbox = api.get("/api/v1/senders/sandbox-sms").json();
        Api.Response created = api.post("/api/v1/senders", Map.of("name", name, "channel", "sms", "provider", "smpp",
                "fromAddress", "Shop", "secret", "sandbox", "settings", Map.of("host", "127.0.0.1",
                        "port", sandbox.path("settings").path("port").asString(), "systemId", "reach")));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.json().path("id").asString();
    }

    private boolean listed(String sender) {
        return link(sender).isPresent();
    }

    private boolean bound(String sender) {
        return link(sender).map(link -> link.path("bound").asBoolean()).orElse(false);
    }

    /** The SMPP link of the sender, as the links' API lists it; none when it has none. */
    private Optional<JsonNode> link(String sender) {
        for (JsonNode link : api.get("/api/v1/smpp-links").json()) {
            if (sender.equals(link.path("sender").asString())) {
                return Optional.of(link);
            }
        }
        return Optional.empty();
    }
}

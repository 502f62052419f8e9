package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.sandbox.SandboxNetwork;
import io.reach.sandbox.SandboxSmsc;
import io.reach.shared.DatabaseOutage;
import io.reach.support.Api;
import io.reach.support.Fixtures;
import io.reach.support.ReachNode;
import io.reach.support.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.jsmpp.SMPPConstant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * Providers' callbacks and API requests while the database gives no connection (its pool held whole by the test here;
 * a database down alike): Meta's webhooks and the API are answered 503 and the SMSC's deliver_sm a temporary error, at
 * once, nothing is stored, and what the providers deliver again afterwards is.
 */
@ExtendWith(OutputCaptureExtension.class)
class CallbacksDuringOutageIT {

    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final int POOL = 4;
    private static final String PHONE = "+31612390001";

    @Test
    void callbacksAndRequestsAreRefusedAtOnceWhileTheDatabaseGivesNoConnectionAndTakenWhenSentAgain(CapturedOutput output)
            throws Exception {
        Map<String, String> settings = new HashMap<>(TestDatabase.fresh());
        settings.put("spring.datasource.hikari.maximum-pool-size", String.valueOf(POOL));
        // The node's workers find the pool empty within a second.
        settings.put("spring.datasource.hikari.connection-timeout", "1000");
        try (ReachNode node = ReachNode.start("outage", settings, Map.of())) {
            Api api = node.api();
            Fixtures.metaSender(api, "meta-outage", "http://127.0.0.1:9");
            String contact = Fixtures.consentingContact(api, PHONE).path("id").asString();
            SandboxSmsc smsc = node.bean(SandboxNetwork.class).smsc();
            await().atMost(PATIENCE).until(smsc::hasBoundSession);
            DatabaseOutage outage = node.bean(DatabaseOutage.class);

            List<Connection> held = holdThePool(node.bean(DataSource.class));
            await().atMost(PATIENCE).until(() -> outage.outOfReachSince().isPresent());

            // Refused without waiting for the pool (its wait would say "could not be reached or was busy").
            List<Api.Response> answers = Api.atOnce(5, () -> api.postSignedWhatsAppWebhook(inbound("wamid.outage-1"), "secret"));
            assertThat(answers).allSatisfy(answer -> {
                assertThat(answer.status()).as(answer.body()).isEqualTo(503);
                assertThat(answer.body()).contains("has been out of reach since");
                assertThat(answer.headers()).containsKey("retry-after");
            });

            // The SMSC's deliver_sm: a temporary error, for it to deliver again (it does, every second, until taken).
            smsc.deliverInbound(PHONE, "Reach", "Outage reply");
            assertThat(output.getOut()).contains("the inbound SMS from " + PHONE.substring(1) + " was not taken ("
                    + String.format("command_status 0x%08X", SMPPConstant.STAT_ESME_RX_T_APPN) + ")");

            // The API alike: a read and a write, refused without waiting and without doing anything; the token first.
            Api.Response read = api.get("/api/v1/contacts/" + contact);
            Api.Response write = api.post("/api/v1/contacts", Map.of("phone", "+31612390002"));
            assertThat(List.of(read, write)).allSatisfy(answer -> {
                assertThat(answer.status()).as(answer.body()).isEqualTo(503);
                assertThat(answer.body()).contains("has been out of reach since").contains("nothing was done");
                assertThat(answer.headers()).containsKey("retry-after");
            });
            assertThat(api.getWithoutToken("/api/v1/contacts/" + contact).status()).isEqualTo(401);
            // What answers from memory alone still answers: is the SMPP session bound?
            Api.Response links = api.get("/api/v1/smpp-links");
            assertThat(links.status()).as(links.body()).isEqualTo(200);
            assertThat(links.json().valueStream().anyMatch(link -> "sandbox-sms".equals(link.path("sender").asString())
                    && link.path("bound").asBoolean())).as(links.body()).isTrue();

            for (Connection connection : held) {
                connection.close();
            }
            await().atMost(PATIENCE).until(() -> outage.outOfReachSince().isEmpty());

            // Delivered again, as Meta and an SMSC do (the sandbox's SMSC on its own): taken once each.
            Api.Response again = api.postSignedWhatsAppWebhook(inbound("wamid.outage-1"), "secret");
            assertThat(again.status()).as(again.body()).isEqualTo(200);
            await().atMost(PATIENCE).until(() -> api.get("/api/v1/inbound-messages?contactId=" + contact).json().size() == 2);
            assertThat(api.get("/api/v1/inbound-messages?contactId=" + contact).json().valueStream()
                    .map(message -> message.path("text").asString()).toList()).containsExactlyInAnyOrder("Outage text", "Outage reply");
            assertThat(api.get("/api/v1/contacts/" + contact).status()).isEqualTo(200);
            Api.Response unwritten = api.get("/api/v1/contacts?phone=%2B31612390002");
            assertThat(unwritten.status()).isEqualTo(200);
            assertThat(unwritten.json()).isEmpty();
        }
        assertThat(output.getOut()).contains("The database gave no connection in time")
                .contains("The database answers again").contains(" and 2 API requests were refused meanwhile")
                // jSMPP's ERROR about each refused deliver_sm is dropped: Reach said why, once.
                .doesNotContain("Failed processing deliver_sm");
    }

    /** Takes every connection of the node's pool, as its workers give them back. */
    private static List<Connection> holdThePool(DataSource dataSource) {
        List<Connection> held = new ArrayList<>();
        await().atMost(PATIENCE).until(() -> {
            try {
                held.add(dataSource.getConnection());
            } catch (SQLException busy) {
                // the workers have them for the moment
            }
            return held.size() == POOL;
        });
        return held;
    }

    private static String inbound(String wamid) {
        return "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"102290129340398\",\"changes\":[{\"value\":"
                + "{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"15550783881\","
                + "\"phone_number_id\":\"106540352242977\"},\"contacts\":[{\"profile\":{\"name\":\"Kerry\"},\"wa_id\":\""
                + PHONE.substring(1) + "\"}],\"messages\":[{\"from\":\"" + PHONE.substring(1) + "\",\"id\":\"" + wamid
                + "\",\"timestamp\":\"1763700001\",\"type\":\"text\",\"text\":{\"body\":\"Outage text\"}}]},"
                + "\"field\":\"messages\"}]}]}";
    }
}

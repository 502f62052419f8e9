package io.reach.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.support.Api;
import io.reach.support.ReachIntegrationTest;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

/** Provider callbacks leave the inbox once applied longer ago than the retention; those not applied yet never do. */
class ProcessedCallbacksPurgeIT extends ReachIntegrationTest {

    @Autowired
    ProcessedCallbacksPurge purge;

    @Autowired
    WebhookInbox inbox;

    @Autowired
    MessagingSettings settings;

    @Autowired
    JdbcClient jdbc;

    @Test
    void deletesCallbacksAppliedLongerAgoThanTheRetentionAndKeepsTheRestAndThoseNotAppliedYet() {
        // Two of Meta's webhooks, applied as they came (statuses of messages Reach does not know), over HTTP.
        for (String wamid : List.of("wamid.purge-old", "wamid.purge-recent")) {
            Api.Response webhook = api.postSignedWhatsAppWebhook("{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":"
                    + "\"200000000000001\",\"changes\":[{\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{"
                    + "\"display_phone_number\":\"15550100001\",\"phone_number_id\":\"100000000000001\"},\"statuses\":[{"
                    + "\"id\":\"" + wamid + "\",\"status\":\"delivered\",\"timestamp\":\"1772442000\",\"recipient_id\":"
                    + "\"31612345999\"}]},\"field\":\"messages\"}]}]}", "sandbox-app-secret");
            assertThat(webhook.status()).as(webhook.body()).isEqualTo(200);
        }
        // And one that waits to be applied (no processor takes this source).
        inbox.store("PURGE-TEST", null, "{\"waiting\":\"wamid.purge-waiting\"}");
        OffsetDateTime longAgo = OffsetDateTime.now(ZoneOffset.UTC).minus(settings.keepProcessedCallbacks()).minus(Duration.ofHours(1));
        jdbc.sql("UPDATE webhook_inbox SET received_at = ?, processed_at = CASE WHEN processed_at IS NULL THEN NULL ELSE ? END"
                        + " WHERE body LIKE '%wamid.purge-old%' OR body LIKE '%wamid.purge-waiting%'")
                .params(longAgo, longAgo).update();
        assertThat(rows("wamid.purge-old")).isEqualTo(1);

        assertThat(purge.purge()).isPositive();

        assertThat(rows("wamid.purge-old")).as("applied longer ago than the retention").isZero();
        assertThat(rows("wamid.purge-recent")).as("applied within the retention").isEqualTo(1);
        assertThat(rows("wamid.purge-waiting")).as("not applied yet").isEqualTo(1);
        // What the deleted webhook said is still kept where it belongs.
        assertThat(api.get("/api/v1/unmatched-statuses").json().toString()).contains("wamid.purge-old");
        assertThat(purge.purge()).as("nothing left to delete").isZero();
    }

    private long rows(String marker) {
        return jdbc.sql("SELECT COUNT(*) FROM webhook_inbox WHERE body LIKE ?").param("%" + marker + "%").query(Long.class).single();
    }
}

package io.reach.sender;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.reach.support.Api;
import io.reach.support.FakeProvider;
import io.reach.support.Fixtures;
import io.reach.support.ReachIntegrationTest;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.json.JsonMapper;

/** Senders' secrets sealed at rest under reach.secrets-key: stored sealed, used plain, and a wrong key refused at start. */
@TestPropertySource(properties = {"reach.sandbox.enabled=false", "reach.secrets-key=" + SealedSecretsIT.KEY})
class SealedSecretsIT extends ReachIntegrationTest {

    static final String KEY = "q83vEjRWeJq8zvASNFZ4mrzO8BI0VniavM7wEjRWeJo=";
    private static final FakeProvider META = FakeProvider.metaGraphApi();

    @Autowired
    JdbcClient jdbc;

    @Autowired
    JsonMapper json;

    @Autowired
    SealedSecrets sealedSecrets;

    @AfterAll
    static void stopMeta() {
        META.close();
    }

    @Test
    void storesASendersSecretsSealedAndSendsWithThemPlain() {
        String id = whatsAppSender("sealed-shop", "300000000000011", "EAAG-sealed-token", "sealed-verify");

        Map<String, Object> stored = jdbc.sql("SELECT access_token, app_secret, verify_token FROM senders WHERE id = ?")
                .param(UUID.fromString(id)).query().singleRow();
        assertThat(stored.values()).allSatisfy(value -> assertThat((String) value).startsWith(SecretBox.SEALED)
                .doesNotContain("EAAG-sealed-token", "sealed-app-secret", "sealed-verify"));

        Fixtures.orderTemplate(api, "order_ready_sealed");
        String phone = "+31612399001";
        Fixtures.consentingContact(api, phone);
        Api.Response sent = Fixtures.sendOrder(api, "sealed-shop", "order_ready_sealed", phone);
        assertThat(sent.status()).as(sent.body()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> !META.requestsTo(phone).isEmpty());
        assertThat(META.requestsTo(phone).getFirst().header("Authorization")).isEqualTo("Bearer EAAG-sealed-token");
        Api.Response handshake = api.getWithoutToken("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=sealed-verify"
                + "&hub.challenge=4711");
        assertThat(handshake.status()).isEqualTo(200);
        assertThat(handshake.body()).isEqualTo("4711");
    }

    @Test
    void sealsSecretsStoredBeforeTheKeyWasSetAndAnotherKeyOrNoneIsRefused() {
        String id = whatsAppSender("stored-before-the-key", "300000000000012", "EAAG-older-token", "older-verify");
        // As Reach without a key stored them.
        jdbc.sql("UPDATE senders SET access_token = 'EAAG-older-token', verify_token = 'older-verify' WHERE id = ?")
                .param(UUID.fromString(id)).update();

        assertThat(sealedSecrets.sealPlainSecrets()).isEqualTo(1);

        String token = jdbc.sql("SELECT access_token FROM senders WHERE id = ?").param(UUID.fromString(id)).query(String.class).single();
        assertThat(token).startsWith(SecretBox.SEALED);
        assertThat(sealedSecrets.sealPlainSecrets()).isZero();
        String otherKey = Base64.getEncoder().encodeToString(new byte[32]);
        assertThatThrownBy(() -> new SealedSecrets(new SenderStore(jdbc, json, otherKey)).sealPlainSecrets())
                .hasMessageStartingWith("Reach cannot start: ").hasMessageContaining("does not open with reach.secrets-key");
        assertThatThrownBy(() -> new SealedSecrets(new SenderStore(jdbc, json, "")).sealPlainSecrets())
                .hasMessageContaining("set reach.secrets-key to the key they were sealed with");
    }

    private String whatsAppSender(String name, String phoneNumberId, String token, String verifyToken) {
        Api.Response created = api.post("/api/v1/senders", Map.of("name", name, "phoneNumberId", phoneNumberId,
                "wabaId", "400000000000011", "displayNumber", "+15550100011", "accessToken", token,
                "appSecret", "sealed-app-secret", "verifyToken", verifyToken, "graphApiBaseUrl", META.baseUrl()));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(created.body()).doesNotContain(token);
        return created.json().path("id").asString();
    }
}

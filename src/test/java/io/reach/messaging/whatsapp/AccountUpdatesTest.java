package io.reach.messaging.whatsapp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class AccountUpdatesTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void readsThePortfoliosMessagingLimitAsANumberItsDigitsOrATier() {
        assertThat(AccountUpdates.portfolioLimit(field("2000"))).contains(2000);
        assertThat(AccountUpdates.portfolioLimit(field("\"10000\""))).contains(10000);
        assertThat(AccountUpdates.portfolioLimit(field("-1"))).contains(-1);
        assertThat(AccountUpdates.portfolioLimit(field("\"TIER_250\""))).contains(250);
        assertThat(AccountUpdates.portfolioLimit(field("\"TIER_2K\""))).contains(2000);
        assertThat(AccountUpdates.portfolioLimit(field("\"TIER_100K\""))).contains(100_000);
        assertThat(AccountUpdates.portfolioLimit(field("\"tier_1k\""))).contains(1000);
        assertThat(AccountUpdates.portfolioLimit(field("\"TIER_UNLIMITED\""))).contains(-1);
    }

    @Test
    void readsNoLimitFromATierNotSetYetNorFromWhatIsNotALimit() {
        assertThat(AccountUpdates.portfolioLimit(field("\"TIER_NOT_SET\""))).isEmpty();
        assertThat(AccountUpdates.portfolioLimit(field("\"TIER_\""))).isEmpty();
        assertThat(AccountUpdates.portfolioLimit(field("\"lots\""))).isEmpty();
        assertThat(AccountUpdates.portfolioLimit(field("12345678901"))).isEmpty();
        assertThat(AccountUpdates.portfolioLimit(JSON.readTree("{}").path("limit"))).isEmpty();
    }

    private static JsonNode field(String value) {
        return JSON.readTree("{\"limit\":" + value + "}").path("limit");
    }
}

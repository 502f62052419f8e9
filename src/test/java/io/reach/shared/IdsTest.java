package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class IdsTest {

    @Test
    void readsCanonicalIdsAndLeavesNamesAlone() {
        UUID id = Ids.newId();

        assertThat(Ids.ifId(id.toString())).contains(id);
        assertThat(Ids.ifId(id.toString().toUpperCase())).contains(id);
        assertThat(Ids.ifId("sandbox-sms")).isEmpty();
        assertThat(Ids.ifId("1-2-3-4-5")).as("UUID.fromString would take it; a sender name it stays").isEmpty();
        assertThat(Ids.ifId(null)).isEmpty();
    }
}

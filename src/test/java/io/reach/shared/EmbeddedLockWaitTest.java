package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EmbeddedLockWaitTest {

    @Test
    void anH2UrlWaitsForALockAsLongAsForAConnection() {
        assertThat(EmbeddedLockWait.withLockWait("jdbc:h2:file:./data/reach;AUTO_SERVER=FALSE", 10_000))
                .isEqualTo("jdbc:h2:file:./data/reach;AUTO_SERVER=FALSE;LOCK_TIMEOUT=10000");
    }

    @Test
    void leavesALockTimeoutTheUrlSetsAndOtherDatabasesAlone() {
        assertThat(EmbeddedLockWait.withLockWait("jdbc:h2:mem:x;lock_timeout=500", 10_000)).isEqualTo("jdbc:h2:mem:x;lock_timeout=500");
        assertThat(EmbeddedLockWait.withLockWait("jdbc:postgresql://db/reach", 10_000)).isEqualTo("jdbc:postgresql://db/reach");
        assertThat(EmbeddedLockWait.withLockWait(null, 10_000)).isNull();
    }
}

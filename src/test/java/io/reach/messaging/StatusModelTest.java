package io.reach.messaging;

import static io.reach.messaging.MessageStatus.BLOCKED;
import static io.reach.messaging.MessageStatus.DELIVERED;
import static io.reach.messaging.MessageStatus.FAILED;
import static io.reach.messaging.MessageStatus.QUEUED;
import static io.reach.messaging.MessageStatus.READ;
import static io.reach.messaging.MessageStatus.SENT;
import static io.reach.messaging.MessageStatus.SUBMITTED;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class StatusModelTest {

    @Test
    void movesForwardInTheUsualOrder() {
        StatusModel.Decision decision = StatusModel.apply(SENT, EnumSet.of(QUEUED, SUBMITTED, SENT), DELIVERED);
        assertThat(decision).isEqualTo(new StatusModel.Decision(true, false, false, DELIVERED));
    }

    @Test
    void ignoresADuplicate() {
        StatusModel.Decision decision = StatusModel.apply(DELIVERED, EnumSet.of(QUEUED, SUBMITTED, SENT, DELIVERED), DELIVERED);
        assertThat(decision.record()).isFalse();
        assertThat(decision.current()).isEqualTo(DELIVERED);
    }

    @Test
    void neverGoesBackwardsButKeepsTheLateEventInTheTimeline() {
        StatusModel.Decision decision = StatusModel.apply(READ, EnumSet.of(QUEUED, SUBMITTED, READ, DELIVERED), SENT);
        assertThat(decision).isEqualTo(new StatusModel.Decision(true, false, false, READ));
    }

    @Test
    void readWithoutDeliveredImpliesDelivered() {
        StatusModel.Decision decision = StatusModel.apply(SENT, EnumSet.of(QUEUED, SUBMITTED, SENT), READ);
        assertThat(decision).isEqualTo(new StatusModel.Decision(true, false, true, READ));
    }

    @Test
    void deliveredAfterFailedIsTheStrongerFact() {
        assertThat(StatusModel.apply(FAILED, EnumSet.of(QUEUED, SUBMITTED, FAILED), DELIVERED).current()).isEqualTo(DELIVERED);
        assertThat(StatusModel.apply(DELIVERED, EnumSet.of(QUEUED, SUBMITTED, DELIVERED), FAILED).current()).isEqualTo(DELIVERED);
        assertThat(StatusModel.apply(SENT, EnumSet.of(QUEUED, SUBMITTED, SENT), FAILED).current()).isEqualTo(FAILED);
    }

    @Test
    void aReportOnAMessageNotYetRecordedAsSubmittedImpliesTheSubmission() {
        StatusModel.Decision decision = StatusModel.apply(QUEUED, EnumSet.of(QUEUED), SENT);
        assertThat(decision).isEqualTo(new StatusModel.Decision(true, true, false, SENT));
    }

    @Test
    void aBlockedMessageThatAProviderReportsOnTakesItsStatusForTheProviderHadItAfterAll() {
        StatusModel.Decision sent = StatusModel.apply(BLOCKED, EnumSet.of(QUEUED, BLOCKED), SENT);
        assertThat(sent.record()).isTrue();
        assertThat(sent.inferSubmitted()).isTrue();
        assertThat(sent.current()).isEqualTo(SENT);
        assertThat(StatusModel.apply(BLOCKED, EnumSet.of(BLOCKED), FAILED).current()).isEqualTo(FAILED);
        // Blocking again, or a queued, changes nothing.
        assertThat(StatusModel.apply(BLOCKED, EnumSet.of(BLOCKED), BLOCKED).record()).isFalse();
        assertThat(StatusModel.apply(BLOCKED, EnumSet.of(BLOCKED), QUEUED).record()).isFalse();
    }
}

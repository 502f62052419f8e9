package io.reach.journey;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.contact.PersonalData;
import io.reach.support.Api;
import io.reach.support.Fixtures;
import io.reach.support.FlowFixtures;
import io.reach.support.ReachIntegrationTest;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;

/**
 * A step whose code throws, turn after turn: the journey is tried again, then failed with the error. The engine's
 * loop is off, so that the test takes each turn itself (with the lease, a turn comes once a minute).
 */
@TestPropertySource(properties = "reach.journeys.engine-enabled=false")
class FailingStepsIT extends ReachIntegrationTest {

    private static final AtomicInteger NUMBERS = new AtomicInteger();

    @Autowired
    JourneyEngine engine;

    @Autowired
    JourneyStore store;

    @Autowired
    JdbcClient jdbc;

    @BeforeEach
    void template() {
        FlowFixtures.orderReadyTemplate(api);
    }

    @Test
    void aStepThatThrowsTurnAfterTurnFailsItsJourneyWithTheErrorAfterFiveTurns() {
        String flow = publish("""
                {"name":"failing-steps-%d","entry":{"type":"api"},"start":"send","steps":[
                 {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
                  "headerParameters":["X"],"bodyParameters":["A","X"],"next":"status"},
                 {"id":"status","type":"branch_on_status","message":"send","timeout":"PT1H",
                  "branches":{"delivered":"end","failed":"end","timeout":"end"}},
                 {"id":"end","type":"end"}]}""");
        UUID journey = start(flow);
        // As no start or step can write it: a message id that is not one, so that the status step throws on every turn.
        jdbc.sql("UPDATE journeys SET current_step = 'status', variables = ? WHERE id = ?")
                .params("{\"_message.send\":\"not-a-message-id\"}", journey).update();

        for (int turn = 1; turn < JourneyEngine.MAX_FAILED_TURNS; turn++) {
            engine.advance(store.find(journey).orElseThrow());
            assertThat(store.find(journey).orElseThrow().state()).isEqualTo(Journey.RUNNING);
            assertThat(failedTurns(journey)).isEqualTo(turn);
        }
        engine.advance(store.find(journey).orElseThrow());

        Journey failed = store.find(journey).orElseThrow();
        assertThat(failed.state()).isEqualTo(Journey.FAILED);
        assertThat(failed.error()).startsWith("step status failed 5 times in a row: java.lang.IllegalArgumentException");
        assertThat(failed.endedAt()).isNotNull();
    }

    @Test
    void aTurnThatGoesThroughForgetsTheTurnsThatFailedBefore() {
        String flow = publish("""
                {"name":"failing-steps-%d","entry":{"type":"api"},"start":"tag","steps":[
                 {"id":"tag","type":"add_tag","tag":"went-through","next":"end"},{"id":"end","type":"end"}]}""");
        UUID journey = start(flow);
        jdbc.sql("UPDATE journeys SET failed_turns = 4 WHERE id = ?").param(journey).update();

        engine.advance(store.find(journey).orElseThrow());

        assertThat(store.find(journey).orElseThrow().state()).isEqualTo(Journey.ENDED);
        assertThat(failedTurns(journey)).isZero();
    }

    @Test
    void aContactChangeTheContactsRefuseFailsItsJourneyAtOnceWithTheReason() {
        String flow = publish("""
                {"name":"failing-steps-%d","entry":{"type":"api"},"start":"note","steps":[
                 {"id":"note","type":"set_attribute","attribute":"note","value":"{{note}}{{note}}","next":"tag"},
                 {"id":"tag","type":"add_tag","tag":"{{tag}}","next":"end"},{"id":"end","type":"end"}]}""");
        // A start takes values of up to 4,000 characters; the step writes it twice, 5,000 in all.
        UUID tooLong = start(flow, Map.of("note", "x".repeat(2500), "tag", "fine"));
        UUID badTag = start(flow, Map.of("note", "fine", "tag", "t".repeat(150)));
        UUID fine = start(flow, Map.of("note", "fine", "tag", "fine"));

        for (UUID journey : List.of(tooLong, badTag, fine)) {
            engine.advance(store.find(journey).orElseThrow());
        }

        // One turn each: the refusal is the step's outcome, which the journey's transaction commits with its failure.
        Journey refusedValue = store.find(tooLong).orElseThrow();
        assertThat(refusedValue.state()).isEqualTo(Journey.FAILED);
        assertThat(refusedValue.error()).startsWith("step note: ").contains("attributes.note");
        Journey refusedTag = store.find(badTag).orElseThrow();
        assertThat(refusedTag.state()).isEqualTo(Journey.FAILED);
        assertThat(refusedTag.error()).isEqualTo("step tag: tag: a tag is at most 100 characters");
        assertThat(failedTurns(tooLong)).isZero();
        // The step before the refused one, in the same transaction, is kept with it: the note was set.
        assertThat(api.get("/api/v1/journeys/" + badTag + "/path").json().path(0).path("outcome").asString()).isEqualTo("note = finefine");
        assertThat(store.find(fine).orElseThrow().state()).isEqualTo(Journey.ENDED);
    }

    @Test
    void aJourneyStartedAsItsContactWasErasedIsCancelledAndEmptiedAtItsFirstTurnNotFailedTurnAfterTurn() {
        String flow = publish("""
                {"name":"failing-steps-%d","entry":{"type":"api"},"start":"tag","steps":[
                 {"id":"tag","type":"add_tag","tag":"late","next":"end"},{"id":"end","type":"end"}]}""");
        Journey first = store.find(start(flow, Map.of("order", "A-17"))).orElseThrow();
        Api.Response erased = api.delete("/api/v1/contacts/" + first.contactId());
        assertThat(erased.status()).as(erased.body()).isEqualTo(200);
        // A second start read the contact before the erasure committed, and writes its journey after: the erasure
        // did not see it.
        UUID late = store.insert(first.flowVersionId(), first.contactId(), null, "tag", Map.of("order", "A-17"), true)
                .orElseThrow();

        engine.advance(store.find(late).orElseThrow());

        Journey cancelled = store.find(late).orElseThrow();
        assertThat(cancelled.state()).isEqualTo(Journey.CANCELLED);
        assertThat(cancelled.error()).isEqualTo(PersonalData.ERASED);
        assertThat(cancelled.variables()).isEmpty();
        assertThat(failedTurns(late)).isZero();
        assertThat(api.get("/api/v1/journeys/" + late).body()).doesNotContain("A-17");
    }

    private int failedTurns(UUID journey) {
        return jdbc.sql("SELECT failed_turns FROM journeys WHERE id = ?").param(journey).query(Integer.class).single();
    }

    private String publish(String document) {
        return FlowFixtures.publish(api, document.formatted(NUMBERS.incrementAndGet()));
    }

    private UUID start(String flowId) {
        return start(flowId, Map.of());
    }

    private UUID start(String flowId, Map<String, String> variables) {
        String phone = "+316150" + String.format("%05d", NUMBERS.incrementAndGet());
        Fixtures.contact(api, phone, Map.of("utility", true), false);
        Api.Response started = api.post("/api/v1/flows/" + flowId + "/journeys", Map.of("to", phone, "variables", variables));
        assertThat(started.status()).as(started.body()).isEqualTo(201);
        return UUID.fromString(started.json().path("journeyId").asString());
    }
}

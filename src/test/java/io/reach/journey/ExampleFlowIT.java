package io.reach.journey;

import static io.reach.support.FlowFixtures.branches;
import static io.reach.support.FlowFixtures.phone;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.reach.sandbox.SandboxNetwork;
import io.reach.shared.BackgroundWorker;
import io.reach.support.Api;
import io.reach.support.FlowFixtures;
import io.reach.support.OffsetClock;
import io.reach.support.ReachIntegrationTest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The example flow (examples/flows/whatsapp-fallback.json) over 200 sandbox contacts with a known mix of handsets,
 * with the clock moved past the flow's timeouts instead of waiting for them.
 */
@TestPropertySource(properties = {"reach.sandbox.rules-file=classpath:sandbox/flow-handsets.yml",
        "reach.journeys.poll-interval=100ms"})
class ExampleFlowIT extends ReachIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(60);
    @TestConfiguration
    static class Time {
        @Bean
        @Primary
        OffsetClock offsetClock() {
            return new OffsetClock();
        }
    }

    @Autowired
    OffsetClock clock;

    @Autowired
    SandboxNetwork sandbox;

    @Autowired
    ApplicationContext context;

    @Test
    void everyContactTakesThePathOfItsHandsetAndTheCountsMatchTheMix() {
        FlowFixtures.orderReadyTemplate(api);
        String flowId = FlowFixtures.publishExampleFlow(api);
        List<String> phones = FlowFixtures.importPopulation(api, 1);
        assertThat(phones).hasSize(200);
        phones.forEach(phone -> FlowFixtures.orderReady(api, phone));
        String counts = "/api/v1/flows/" + flowId + "/versions/1/counts";

        // Everything the handsets answer in real time: delivered, read, replied, failed, SMS, calls.
        await().atMost(PATIENCE).untilAsserted(() -> {
            JsonNode now = api.get(counts).json();
            assertThat(branches(now, "whatsapp_delivered")).isEqualTo(Map.of("delivered", 90L, "failed", 90L));
            assertThat(branches(now, "whatsapp_read")).isEqualTo(Map.of("read", 60L));
            assertThat(branches(now, "ask_pickup")).isEqualTo(Map.of("YES", 40L));
            assertThat(branches(now, "sms_delivered")).isEqualTo(Map.of("delivered", 40L, "failed", 50L));
            assertThat(branches(now, "call_answered")).isEqualTo(Map.of("delivered", 30L, "failed", 20L));
        });
        JsonNode before = api.get(counts).json();
        assertThat(before.path("steps").path("whatsapp_delivered").path("waiting").asLong()).isEqualTo(20);
        assertThat(before.path("steps").path("whatsapp_read").path("waiting").asLong()).isEqualTo(30);
        assertThat(before.path("steps").path("ask_pickup").path("waiting").asLong()).isEqualTo(20);
        // The silent ones wait exactly the flow's 10 minutes from the moment they reached the step.
        int silent = 0;
        for (JsonNode journey : api.get("/api/v1/flows/" + flowId + "/journeys?state=waiting&limit=1000").json()) {
            if ("whatsapp_delivered".equals(journey.path("currentStep").asString())) {
                JsonNode step = api.get("/api/v1/journeys/" + journey.path("id").asString() + "/path").json().path(1);
                assertThat(step.path("stepId").asString()).isEqualTo("whatsapp_delivered");
                // Entered, then executed a few milliseconds later: the timeout counts from the execution.
                assertThat(Duration.between(Instant.parse(step.path("enteredAt").asString()),
                        Instant.parse(journey.path("wakeAt").asString())))
                        .isBetween(Duration.ofMinutes(10), Duration.ofMinutes(10).plusSeconds(2));
                silent++;
            }
        }
        assertThat(silent).isEqualTo(20);

        clock.advance(Duration.ofMinutes(10).plusSeconds(1));
        await().atMost(PATIENCE).untilAsserted(() -> {
            JsonNode now = api.get(counts).json();
            assertThat(branches(now, "whatsapp_delivered")).isEqualTo(Map.of("delivered", 90L, "failed", 90L, "timeout", 20L));
            assertThat(branches(now, "sms_delivered")).isEqualTo(Map.of("delivered", 60L, "failed", 50L));
        });
        clock.advance(Duration.ofHours(1));
        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(branches(api.get(counts).json(), "whatsapp_read")).isEqualTo(Map.of("read", 60L, "timeout", 30L)));
        clock.advance(Duration.ofHours(24));
        await().atMost(PATIENCE).untilAsserted(() -> {
            JsonNode now = api.get(counts).json();
            assertThat(branches(now, "ask_pickup")).isEqualTo(Map.of("YES", 40L, "no_reply", 20L));
            assertThat(now.path("ended").asLong()).isEqualTo(200);
        });

        JsonNode done = api.get(counts).json();
        assertThat(done.path("failed").asLong()).isZero();
        assertThat(done.path("waiting").asLong()).isZero();
        Map<String, Long> entered = new LinkedHashMap<>();
        done.path("steps").properties().forEach(e -> entered.put(e.getKey(), e.getValue().path("entered").asLong()));
        assertThat(entered).containsAllEntriesOf(Map.ofEntries(Map.entry("send_whatsapp", 200L), Map.entry("send_sms", 110L),
                Map.entry("call", 50L), Map.entry("report_yes", 40L), Map.entry("report_no_reply", 20L),
                Map.entry("report_delivered", 30L), Map.entry("report_sms", 60L), Map.entry("report_call", 30L),
                Map.entry("report_unreachable", 20L), Map.entry("end", 200L)));
        // Every step of the document, in its order, those no journey took at zero: the heatmap draws the whole flow.
        List<String> documentOrder = new ArrayList<>();
        Api.JSON.readTree(api.get("/api/v1/flows/" + flowId + "/versions/1/document").body()).path("steps")
                .forEach(step -> documentOrder.add(step.path("id").asString()));
        assertThat(entered.keySet()).containsExactlyElementsOf(documentOrder);
        assertThat(entered).containsEntry("report_no", 0L).containsEntry("report_text", 0L);
        Map<String, Long> askPickup = new TreeMap<>();
        done.path("steps").path("ask_pickup").path("branches").properties()
                .forEach(e -> askPickup.put(e.getKey(), e.getValue().asLong()));
        assertThat(askPickup).isEqualTo(Map.of("YES", 40L, "NO", 0L, "any_text", 0L, "no_reply", 20L));
        // This test's node alone counted them (its own context): every journey started and ended once, and one message
        // queued per send step entered.
        Map<String, Double> counted = Map.of("reach_journeys_started_total", 200.0,
                "reach_journeys_finished_total{state=\"ended\"}", 200.0,
                "reach_journeys_finished_total{state=\"failed\"}", 0.0,
                "reach_journeys_finished_total{state=\"cancelled\"}", 0.0,
                "reach_messages_statuses_total{channel=\"whatsapp\",status=\"queued\"}", 200.0,
                "reach_messages_statuses_total{channel=\"sms\",status=\"queued\"}", 110.0,
                "reach_messages_statuses_total{channel=\"voice\",status=\"queued\"}", 50.0,
                "reach_messages_statuses_total{channel=\"whatsapp\",status=\"failed\"}", 90.0);
        assertThat(api.metricsOnce(metrics -> metrics.entrySet().containsAll(counted.entrySet())))
                .containsAllEntriesOf(counted);

        // Every failed WhatsApp got exactly one SMS, every failed SMS exactly one call, no delivered one an SMS.
        FlowFixtures.MIX.forEach((group, count) -> {
            for (int i = 0; i < count; i++) {
                String phone = phone(group, i);
                assertThat(sandbox.graphApi().acceptedFor(phone)).as("WhatsApp to " + phone).isEqualTo(1);
                assertThat(sandbox.graphApi().sendsAnsweredFor(phone)).as("WhatsApp sends answered for " + phone).isEqualTo(1);
                long sms = sandbox.smsc().submitsTo(phone).size();
                long calls = sandbox.twilio().createdFor("call", phone).size();
                boolean whatsAppFailed = List.of("4", "5", "6", "7").contains(group);
                boolean smsFailed = List.of("5", "6").contains(group);
                assertThat(sms).as("SMS to " + phone).isEqualTo(whatsAppFailed ? 1 : 0);
                assertThat(calls).as("calls to " + phone).isEqualTo(smsFailed ? 1 : 0);
            }
        });
        JsonNode reports = api.get("/api/v1/flows/" + flowId + "/reports?limit=1000").json();
        assertThat(reports).hasSize(200);
        Map<String, Long> statuses = new TreeMap<>();
        reports.forEach(r -> statuses.merge(r.path("status").asString(), 1L, Long::sum));
        assertThat(statuses).isEqualTo(Map.of("picking up today", 40L, "read", 20L, "delivered", 30L, "sms delivered", 60L,
                "called", 30L, "unreachable", 20L));
        assertThat(reports.path(0).path("messageFrom").asString()).startsWith("sandbox");

        // Every journey ended and every message was decided: no worker still holds a send or a journey in hand.
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(context.getBeansOfType(BackgroundWorker.class))
                .isNotEmpty().allSatisfy((name, worker) -> assertThat(worker.itemsInHand()).as(name).isZero()));
    }
}

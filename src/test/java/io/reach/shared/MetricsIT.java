package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.support.Api;
import io.reach.support.ReachIntegrationTest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/** Reach's metrics in Prometheus's text format: its backlogs, its view of the database, and Spring Boot's own. */
@TestPropertySource(properties = "reach.sandbox.enabled=false")
class MetricsIT extends ReachIntegrationTest {

    @Test
    void metricsAreServedOnlyWithTheApiToken() {
        Api.Response refused = api.getWithoutToken("/actuator/prometheus");
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.headers().get("www-authenticate")).containsExactly("Bearer");
        assertThat(new Api("http://127.0.0.1:" + port, "not-the-token").get("/actuator/prometheus").status()).isEqualTo(401);

        for (String path : List.of("/actuator/prometheus/", "/actuator;x=1/prometheus", "/actuator//prometheus",
                "/%61ctuator/prometheus", "/actuator/prometheus;x=1")) {
            assertThat(api.getWithoutToken(path).status()).as(path).isNotEqualTo(200);
        }

        Api.Response served = api.get("/actuator/prometheus");
        assertThat(served.status()).isEqualTo(200);
        assertThat(served.headers().get("content-type")).singleElement().asString().startsWith("text/plain");
        assertThat(served.body()).doesNotContain(TOKEN);
    }

    @Test
    void healthStaysOpenForLoadBalancersAndEveryOtherEndpointIsBehindTheToken() {
        assertThat(api.getWithoutToken("/actuator/health").status()).isEqualTo(200);
        Api.Response info = api.getWithoutToken("/actuator/info");
        assertThat(info.status()).isEqualTo(200);
        // Which version a node runs (in a rolling upgrade, say), from the build.
        assertThat(info.json().path("build").path("artifact").asString()).isEqualTo("reach");
        assertThat(info.json().path("build").path("version").asString()).matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
        assertThat(info.body()).doesNotContain(TOKEN);
        // The probes of a container platform, outside Kubernetes too.
        for (String probe : List.of("/actuator/health/liveness", "/actuator/health/readiness")) {
            Api.Response answer = api.getWithoutToken(probe);
            assertThat(answer.status()).as(probe).isEqualTo(200);
            assertThat(answer.body()).as(probe).contains("\"status\":\"UP\"");
        }
        // The endpoints' list, and endpoints an operator may expose besides (not exposed here: 404 with the token).
        for (String path : List.of("/actuator", "/actuator/", "/actuator/env", "/actuator/heapdump",
                "/actuator/health/../env", "/actuator/info/../env", "/actuator;x=1/env", "/actuator/health/%2e%2e/env",
                "/actuator/health/..;x=1/env", "/actuator/health/./../env",
                // Encoded slashes reach the handlers as they are (names with a slash go in paths): never a way around the token.
                "/actuator%2Fenv", "/actuator/health%2F..%2Fenv", "/api%2Fv1%2Fflows", "/api/v1%2Fflows")) {
            assertThat(api.getWithoutToken(path).status()).as(path).isIn(400, 401);
        }
        assertThat(api.get("/actuator/env").status()).isEqualTo(404);
        assertThat(api.get("/actuator").status()).isEqualTo(200);
    }

    @Test
    void reachesBacklogsAndItsViewOfTheDatabaseAreNumbers() {
        Map<String, Double> samples = api.metricsOnce(m -> m.entrySet().stream()
                .noneMatch(sample -> sample.getKey().startsWith("reach_") && sample.getValue().isNaN()));

        assertThat(samples).containsEntry("reach_database_unreachable", 0.0)
                .containsEntry("reach_callbacks_refused_total", 0.0)
                .containsEntry("reach_api_requests_refused_total", 0.0);
        for (String series : List.of("reach_journeys_lag_seconds{state=\"running\"}",
                "reach_journeys_lag_seconds{state=\"waiting\"}", "reach_messages_lag_seconds{channel=\"whatsapp\"}",
                "reach_messages_lag_seconds{channel=\"sms\"}", "reach_messages_lag_seconds{channel=\"voice\"}",
                "reach_callbacks_lag_seconds{source=\"whatsapp\"}", "reach_callbacks_lag_seconds{source=\"smpp\"}",
                "reach_callbacks_lag_seconds{source=\"twilio\"}", "reach_launches_running", "reach_launches_scheduled", "reach_cancellations_running",
                // Counted from the start, so that the first refusal is an increase to Prometheus.
                "reach_launches_refused_total{cause=\"template_not_approved\"}",
                "reach_launches_refused_total{cause=\"not_an_audience\"}", "reach_launches_refused_total{cause=\"too_late\"}")) {
            // Read from this test's fresh database, in which nothing waits: a read that failed would be NaN.
            assertThat(samples).as(series).containsEntry(series, 0.0);
        }
    }

    @Test
    void eachBackgroundWorkerSaysWhatItRunsAgainstItsLimitAndWhatItFailed() {
        Map<String, Double> samples = api.metrics();

        // reach.journeys.concurrency's default; the workers that work one unit at a time have no limit of items.
        assertThat(samples).containsEntry("reach_worker_items_limit{worker=\"journey-engine\"}", 16.0)
                .containsEntry("reach_worker_items_limit{worker=\"audience-launches\"}", 0.0);
        for (String worker : List.of("journey-engine", "audience-launches", "flow-cancellations",
                "whatsapp-dispatcher", "sms-dispatcher", "voice-dispatcher", "whatsapp-webhooks", "smpp-receipts",
                "twilio-callbacks")) {
            assertThat(samples.get("reach_worker_items{worker=\"" + worker + "\"}")).as(worker).isNotNull().isBetween(0.0, 16.0);
            assertThat(samples.get("reach_worker_failures_total{worker=\"" + worker + "\"}")).as(worker).isNotNull()
                    .isGreaterThanOrEqualTo(0.0);
        }
    }

    @Test
    void springBootsOwnMetricsComeToo() {
        Map<String, Double> samples = api.metrics();

        assertThat(samples.keySet()).anyMatch(series -> series.startsWith("hikaricp_connections_active{"))
                .anyMatch(series -> series.startsWith("jvm_memory_used_bytes{"))
                .anyMatch(series -> series.startsWith("http_server_requests_seconds_count{"));
    }
}

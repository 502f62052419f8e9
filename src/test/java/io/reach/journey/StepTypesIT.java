package io.reach.journey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.reach.flow.Flows;
import io.reach.messaging.Recipients;
import io.reach.sandbox.SandboxNetwork;
import io.reach.shared.Ids;
import io.reach.shared.Times;
import io.reach.support.Api;
import io.reach.support.Fixtures;
import io.reach.support.FlowFixtures;
import io.reach.support.OffsetClock;
import io.reach.support.OpenTransactions;
import io.reach.support.ReachIntegrationTest;
import io.reach.support.ReachNode;
import io.reach.support.TestDatabase;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Each step type's branches, through flows started over the API and the sandbox's handsets. */
@TestPropertySource(properties = {"reach.sandbox.rules-file=classpath:sandbox/flow-handsets.yml",
        "reach.journeys.poll-interval=100ms",
        // The backends below listen on 127.0.0.1; 127.0.0.2 (loopback too) is refused.
        "reach.flows.fetch-hosts=127.0.0.1",
        // A send refused for throughput waits this long (on the moved clock) before its next attempt.
        "reach.whatsapp.initial-backoff=10m", "reach.whatsapp.max-backoff=10m"})
class StepTypesIT extends ReachIntegrationTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    /** An audience flow (its name, then the tag its audience takes) whose journeys add a report row with their number. */
    private static final String REPORTING_AUDIENCE_FLOW = """
            {"name":"%s","entry":{"type":"audience","audience":{"tags":["%s"]}},"start":"report","steps":[
             {"id":"report","type":"add_report_row","status":"launched","description":"{{contact.phone}}","next":"end"},
             {"id":"end","type":"end"}]}""";

    private static final AtomicInteger FLOWS = new AtomicInteger();
    private static final AtomicInteger NUMBERS = new AtomicInteger(100);
    private static HttpServer backend;
    private static ServerSocket silentBackend;
    // The backend's /held/ answers once the test lets it; heldRequests counts what it was asked.
    private static final CountDownLatch LET_HELD_ANSWER = new CountDownLatch(1);
    private static final AtomicInteger HELD_REQUESTS = new AtomicInteger();
    private static final JsonMapper POSTED_JSON = JsonMapper.builder().build();

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
    JourneyStore store;

    @Autowired
    SandboxNetwork sandbox;

    @Autowired
    Flows flows;

    @Autowired
    TransactionTemplate transactions;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    JdbcTemplate batches;

    @BeforeAll
    static void backends() throws IOException {
        backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        serve("/customers/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            String auth = exchange.getRequestHeaders().getFirst("X-Api-Key");
            byte[] body;
            int status = 200;
            if (path.endsWith("/moved")) {
                exchange.getResponseHeaders().set("Location", "/customers/c%2042");
                exchange.sendResponseHeaders(301, -1);
                exchange.close();
                return;
            } else if (path.endsWith("/noted")) {
                exchange.sendResponseHeaders(204, -1);
                exchange.close();
                return;
            } else if (path.endsWith("/broken")) {
                status = 503;
                body = ("{\"error\":\"down\",\"key\":\"" + auth + "\"}").getBytes(StandardCharsets.UTF_8);
            } else if (path.endsWith("/garbled")) {
                body = "<html>not json".getBytes(StandardCharsets.UTF_8);
            } else if (path.endsWith("/nul")) {
                // The NUL character, escaped as JSON may write it: PostgreSQL's text cannot hold it.
                body = "{\"customer\":{\"name\":\"Ad\\u0000a\",\"tier\":\"gold\"}}".getBytes(StandardCharsets.UTF_8);
            } else if (path.endsWith("/trickle")) {
                // Headers at once, then a byte every 200 ms for 10 s: the step's timeout must cover the body too.
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, 0);
                try (OutputStream out = exchange.getResponseBody()) {
                    for (int i = 0; i < 50; i++) {
                        out.write(' ');
                        out.flush();
                        TimeUnit.MILLISECONDS.sleep(200); // the backend's pace, not a wait for Reach
                    }
                } catch (IOException | InterruptedException closedByReach) {
                    // Reach gave up on the answer
                }
                exchange.close();
                return;
            } else if (path.endsWith("/huge")) {
                // Two MiB of valid JSON, sent without a length (chunked): only reading tells its size.
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, 0);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write("{\"customer\":{\"name\":\"".getBytes(StandardCharsets.UTF_8));
                    byte[] filler = "x".repeat(64 * 1024).getBytes(StandardCharsets.UTF_8);
                    for (int i = 0; i < 32; i++) {
                        out.write(filler);
                    }
                    out.write("\"}}".getBytes(StandardCharsets.UTF_8));
                } catch (IOException closedByReach) {
                    // Reach stops reading past its bound
                }
                exchange.close();
                return;
            } else {
                String id = path.substring(path.lastIndexOf('/') + 1);
                body = ("{\"customer\":{\"name\":\"Ada " + id + "\",\"tier\":\"gold\",\"total\":19.90,\"visits\":12,"
                        + "\"points\":1.5e3},\"key\":\"" + auth + "\"}")
                        .getBytes(StandardCharsets.UTF_8);
            }
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        // Answers what it was posted, once it is JSON: what a fetch's body held reaches the journey's variables.
        serve("/orders", exchange -> {
            byte[] body;
            int status = 200;
            try {
                JsonNode posted = POSTED_JSON.readTree(exchange.getRequestBody().readAllBytes());
                body = POSTED_JSON.writeValueAsBytes(Map.of("received", posted, "method", exchange.getRequestMethod(),
                        "contentType", String.join(" | ", exchange.getRequestHeaders().getOrDefault("Content-Type", List.of())),
                        "idempotencyKeys", exchange.getRequestHeaders().getOrDefault("Idempotency-Key", List.of())));
            } catch (JacksonException notJson) {
                status = 400;
                body = "{\"error\":\"not JSON\"}".getBytes(StandardCharsets.UTF_8);
            }
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        // Answers its query's parameters, decoded as a form (a + is a space), and its path as it came.
        serve("/lookup/", exchange -> {
            Map<String, String> parameters = new LinkedHashMap<>();
            String query = exchange.getRequestURI().getRawQuery();
            for (String pair : query == null ? new String[0] : query.split("&")) {
                int equals = pair.indexOf('=');
                parameters.put(URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8),
                        equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
            }
            byte[] body = POSTED_JSON.writeValueAsBytes(Map.of("parameters", parameters, "rawPath", exchange.getRequestURI().getRawPath()));
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        serve("/held/", exchange -> {
            HELD_REQUESTS.incrementAndGet();
            try {
                LET_HELD_ANSWER.await(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = "{\"customer\":{\"name\":\"Grace\"}}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        // A held answer must not hold up the other requests.
        backend.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        backend.start();
        // Accepts connections (through its backlog) and never answers: a backend that times out.
        silentBackend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    /** Serves {@code path} on the backend, which, like some servers and proxies, refuses a request to upgrade to HTTP/2 (h2c). */
    private static void serve(String path, HttpHandler handler) {
        backend.createContext(path, handler).getFilters().add(new Filter() {
            @Override
            public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
                if (exchange.getRequestHeaders().containsKey("Upgrade")) {
                    exchange.sendResponseHeaders(400, -1);
                    exchange.close();
                } else {
                    chain.doFilter(exchange);
                }
            }

            @Override
            public String description() {
                return "refuses h2c";
            }
        });
    }

    @AfterAll
    static void stopBackends() throws IOException {
        backend.stop(0);
        silentBackend.close();
    }

    @BeforeEach
    void template() {
        FlowFixtures.orderReadyTemplate(api);
    }

    @Test
    void setsAttributesTagsAndBranchesOnAConditionThenReports() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"set_city","steps":[
                 {"id":"set_city","type":"set_attribute","attribute":"city","value":"{{city | CapitalizeAllFirst}}","next":"tag"},
                 {"id":"tag","type":"add_tag","tag":"campaign-{{campaign}}","next":"where"},
                 {"id":"where","type":"condition","condition":{"left":"{{contact.city}}","operator":"equals","right":"Amsterdam"},
                  "branches":{"true":"local","false":"untag"}},
                 {"id":"untag","type":"remove_tag","tag":"campaign-{{campaign}}","next":"away"},
                 {"id":"local","type":"add_report_row","status":"local","description":"{{contact.city}}","next":"end"},
                 {"id":"away","type":"add_report_row","status":"away","description":"{{contact.city}}","next":"end"},
                 {"id":"end","type":"end"}]}""");
        String amsterdam = contact();
        String utrecht = contact();

        String first = start(flow, amsterdam, Map.of("city", "amsterdam", "campaign", "spring"));
        String second = start(flow, utrecht, Map.of("city", "utrecht", "campaign", "spring"));

        awaitEnded(first);
        awaitEnded(second);
        assertThat(steps(first)).containsExactly("set_city", "tag", "where:true", "local", "end");
        assertThat(steps(second)).containsExactly("set_city", "tag", "where:false", "untag", "away", "end");
        JsonNode local = contactByPhone(amsterdam);
        assertThat(local.path("attributes").path("city").asString()).isEqualTo("Amsterdam");
        assertThat(local.path("tags").toString()).contains("campaign-spring");
        assertThat(contactByPhone(utrecht).path("tags").toString()).doesNotContain("campaign-spring");
        JsonNode reports = api.get("/api/v1/flows/" + flow + "/reports").json();
        assertThat(reports).hasSize(2);
        assertThat(reports.toString()).contains("\"status\":\"local\"", "\"description\":\"Utrecht\"");
    }

    @Test
    void aConditionBranchesOnWhetherTheContactHasATagIncludingOneTheJourneyGaveIt() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"vip","steps":[
                 {"id":"vip","type":"condition","condition":{"left":"{{contact.has_tag.vip}}","operator":"equals","right":"true"},
                  "branches":{"true":"end","false":"tag"}},
                 {"id":"tag","type":"add_tag","tag":"vip","next":"now"},
                 {"id":"now","type":"condition","condition":{"left":"{{contact.has_tag.vip}}","operator":"equals","right":"true"},
                  "branches":{"true":"end","false":"end"}},
                 {"id":"end","type":"end"}]}""");
        String tagged = contact();
        assertThat(api.patch("/api/v1/contacts/" + tagged, Map.of("tags", List.of("vip"))).status()).isEqualTo(200);

        assertThat(steps(awaitEnded(start(flow, tagged, Map.of())))).containsExactly("vip:true", "end");
        String untagged = awaitEnded(start(flow, contact(), Map.of()));
        assertThat(steps(untagged)).containsExactly("vip:false", "tag", "now:true", "end");
        assertThat(outcome(untagged, 0)).isEqualTo("'false' equals 'true' is false");
    }

    @Test
    void aConditionComparesNumbersAsNumbersAndSaysWhenItComparedTexts() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"big","steps":[
                 {"id":"big","type":"condition","condition":{"left":"{{amount}}","operator":"greater_than","right":"10"},
                  "branches":{"true":"least","false":"least"}},
                 {"id":"least","type":"condition","condition":{"left":"{{amount}}","operator":"at_least","right":"10.0"},
                  "branches":{"true":"end","false":"end"}},
                 {"id":"end","type":"end"}]}""");
        String nine = awaitEnded(start(flow, contact(), Map.of("amount", "9")));
        String ten = awaitEnded(start(flow, contact(), Map.of("amount", "10")));
        String priced = awaitEnded(start(flow, contact(), Map.of("amount", "9.90 EUR")));

        // As texts, "9" would come after "10".
        assertThat(steps(nine)).containsExactly("big:false", "least:false", "end");
        assertThat(outcome(nine, 0)).isEqualTo("'9' greater_than '10' is false");
        assertThat(steps(ten)).containsExactly("big:false", "least:true", "end");
        assertThat(steps(priced)).containsExactly("big:true", "least:true", "end");
        assertThat(outcome(priced, 0)).isEqualTo("'9.90 EUR' greater_than '10' is true (compared as texts)");
    }

    @Test
    void aConditionReadsThatMetaSaidTheContactsNumberIsNotOnWhatsApp() {
        String tryWhatsApp = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"send","steps":[
                 {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
                  "headerParameters":["X"],"bodyParameters":["friend","X"],"next":"status"},
                 {"id":"status","type":"branch_on_status","message":"send","branches":{"delivered":"end","failed":"end"}},
                 {"id":"end","type":"end"}]}""");
        String choose = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"known","steps":[
                 {"id":"known","type":"condition","condition":{"left":"{{contact.not_on_whatsapp}}","operator":"equals","right":"true"},
                  "branches":{"true":"end","false":"end"}},
                 {"id":"end","type":"end"}]}""");
        String notOnWhatsApp = contact("4");
        String onWhatsApp = contact("1");
        String unknown = awaitEnded(start(choose, notOnWhatsApp, Map.of()));
        assertThat(steps(unknown)).containsExactly("known:false", "end");
        assertThat(outcome(unknown, 0)).isEqualTo("'false' equals 'true' is false");

        String tried = start(tryWhatsApp, notOnWhatsApp, Map.of());
        awaitEnded(tried);
        assertThat(steps(tried)).containsExactly("send", "status:failed", "end");
        assertThat(steps(awaitEnded(start(choose, notOnWhatsApp, Map.of())))).containsExactly("known:true", "end");
        assertThat(steps(awaitEnded(start(choose, onWhatsApp, Map.of())))).containsExactly("known:false", "end");
        // Whether there is a value at all: exists reads no right side, and its outcome quotes none.
        String there = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"known","steps":[
                 {"id":"known","type":"condition","condition":{"left":"{{vip}}","operator":"exists"},
                  "branches":{"true":"end","false":"end"}},
                 {"id":"end","type":"end"}]}""");
        String vip = awaitEnded(start(there, onWhatsApp, Map.of("vip", "gold")));
        String none = awaitEnded(start(there, notOnWhatsApp, Map.of()));
        assertThat(steps(vip)).containsExactly("known:true", "end");
        assertThat(steps(none)).containsExactly("known:false", "end");
        assertThat(outcome(vip, 0)).isEqualTo("'gold' exists is true");
        assertThat(outcome(none, 0)).isEqualTo("'' exists is false");
    }

    @Test
    void fetchesVariablesAndTakesTheFailureBranchOnErrorStatusTimeoutATricklingOrTooLargeAnswerBadJsonOrNoBackend() {
        String base = "http://127.0.0.1:" + backend.getAddress().getPort() + "/customers/";
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"fetch","steps":[
                 {"id":"fetch","type":"fetch_variables",
                  "request":{"method":"GET","url":"{{backend}}{{customer}}","headers":{"X-Api-Key":"k-{{customer}}"},"timeout":"PT1S"},
                  "extract":{"name":"/customer/name","tier":"/customer/tier","missing":"/nope","total":"/customer/total",
                             "visits":"/customer/visits","points":"/customer/points"},
                  "branches":{"success":"ok","failure":"failed"}},
                 {"id":"ok","type":"add_report_row","status":"found","description":"{{name}} ({{tier}})","next":"end"},
                 {"id":"failed","type":"add_report_row","status":"not found","description":"{{customer}}","next":"end"},
                 {"id":"end","type":"end"}]}""");
        String silent = "http://127.0.0.1:" + silentBackend.getLocalPort() + "/customers/";
        Map<String, String> journeys = new LinkedHashMap<>();
        journeys.put("success", start(flow, contact(), Map.of("backend", base, "customer", "c 42")));
        journeys.put("no content", start(flow, contact(), Map.of("backend", base, "customer", "noted")));
        journeys.put("nul", start(flow, contact(), Map.of("backend", base, "customer", "nul")));
        journeys.put("error status", start(flow, contact(), Map.of("backend", base, "customer", "broken")));
        journeys.put("redirect", start(flow, contact(), Map.of("backend", base, "customer", "moved")));
        journeys.put("bad json", start(flow, contact(), Map.of("backend", base, "customer", "garbled")));
        journeys.put("timeout", start(flow, contact(), Map.of("backend", silent, "customer", "slow")));
        journeys.put("bad header", start(flow, contact(), Map.of("backend", base, "customer", "line\nbreak")));
        journeys.put("trickling", start(flow, contact(), Map.of("backend", base, "customer", "trickle")));
        journeys.put("too large", start(flow, contact(), Map.of("backend", base, "customer", "huge")));
        journeys.put("unreachable", start(flow, contact(), Map.of("backend", "http://127.0.0.1:" + ReachNode.freePort() + "/", "customer", "x")));

        journeys.values().forEach(this::awaitEnded);
        assertThat(steps(journeys.get("success"))).containsExactly("fetch:success", "ok", "end");
        JsonNode fetched = api.get("/api/v1/journeys/" + journeys.get("success")).json().path("variables");
        assertThat(fetched.path("name").asString()).isEqualTo("Ada c 42");
        assertThat(fetched.path("tier").asString()).isEqualTo("gold");
        assertThat(fetched.has("missing")).isFalse();
        // Numbers as the backend wrote them, not as a double prints them: a price keeps its cents.
        assertThat(fetched.path("total").asString()).isEqualTo("19.90");
        assertThat(fetched.path("visits").asString()).isEqualTo("12");
        assertThat(fetched.path("points").asString()).isEqualTo("1500");
        // A value with the NUL character is kept without it, and goes on into the report row.
        assertThat(steps(journeys.get("nul"))).containsExactly("fetch:success", "ok", "end");
        assertThat(api.get("/api/v1/journeys/" + journeys.get("nul")).json().path("variables").path("name").asString())
                .isEqualTo("Ada");
        // An answer without a body is a success that sets nothing; the outcome names what it lacked.
        assertThat(steps(journeys.get("no content"))).containsExactly("fetch:success", "ok", "end");
        assertThat(outcome(journeys.get("no content"), 0)).isEqualTo("HTTP 204, set []; not in the answer: [name (/customer/name),"
                + " tier (/customer/tier), missing (/nope), total (/customer/total), visits (/customer/visits),"
                + " points (/customer/points)]");
        assertThat(steps(journeys.get("error status"))).containsExactly("fetch:failure", "failed", "end");
        assertThat(steps(journeys.get("bad json"))).containsExactly("fetch:failure", "failed", "end");
        assertThat(steps(journeys.get("timeout"))).containsExactly("fetch:failure", "failed", "end");
        assertThat(outcome(journeys.get("success"), 0))
                .isEqualTo("HTTP 200, set [name, tier, total, visits, points]; not in the answer: [missing (/nope)]");
        // What the backend said comes with its status (that is what the flow's author needs to put it right), but not
        // the request's headers it quotes: an API key stays out of the journey's path.
        assertThat(outcome(journeys.get("error status"), 0)).isEqualTo("HTTP 503: {\"error\":\"down\",\"key\":\"***\"}");
        // A redirect is not followed (the request's headers hold an API key), and the outcome says where it led.
        assertThat(steps(journeys.get("redirect"))).containsExactly("fetch:failure", "failed", "end");
        assertThat(outcome(journeys.get("redirect"), 0))
                .isEqualTo("HTTP 301, a redirect to /customers/c%2042, not followed: give the step the URL it leads to");
        assertThat(outcome(journeys.get("bad json"), 0)).contains("not JSON");
        assertThat(outcome(journeys.get("timeout"), 0)).contains("timed out");
        assertThat(steps(journeys.get("bad header"))).containsExactly("fetch:failure", "failed", "end");
        assertThat(outcome(journeys.get("bad header"), 0)).startsWith("header X-Api-Key cannot be sent: ");
        assertThat(steps(journeys.get("trickling"))).containsExactly("fetch:failure", "failed", "end");
        // Read whole, the trickle (ten seconds of spaces) would have ended "not JSON".
        assertThat(outcome(journeys.get("trickling"), 0)).isEqualTo("timed out after PT1S");
        assertThat(steps(journeys.get("too large"))).containsExactly("fetch:failure", "failed", "end");
        assertThat(outcome(journeys.get("too large"), 0)).isEqualTo("the answer is larger than 1 MiB");
        assertThat(steps(journeys.get("unreachable"))).containsExactly("fetch:failure", "failed", "end");
        assertThat(outcome(journeys.get("unreachable"), 0)).startsWith("request failed: could not connect to 127.0.0.1:");
        assertThat(api.get("/api/v1/flows/" + flow + "/reports").body()).contains("Ada c 42 (gold)");
    }

    @Test
    void fillsAUrlsPathAndQueryWithValuesEncodedSoThatAPhoneKeepsItsPlusAndNoValueAddsAParameter() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"fetch","steps":[
                 {"id":"fetch","type":"fetch_variables",
                  "request":{"method":"GET","url":"{{backend}}lookup/{{segment}}?phone={{contact.phone}}&q={{q}}","timeout":"PT5S"},
                  "extract":{"phone":"/parameters/phone","q":"/parameters/q","admin":"/parameters/admin","path":"/rawPath"},
                  "branches":{"success":"ok","failure":"failed"}},
                 {"id":"ok","type":"end"},
                 {"id":"failed","type":"end"}]}""");
        String phone = contact();
        String journey = start(flow, phone, Map.of("backend", "http://127.0.0.1:" + backend.getAddress().getPort() + "/",
                "segment", "../held/x", "q", "a&admin=1 b+c"));

        awaitEnded(journey);
        assertThat(steps(journey)).containsExactly("fetch:success", "ok");
        JsonNode variables = api.get("/api/v1/journeys/" + journey).json().path("variables");
        assertThat(variables.path("phone").asString()).isEqualTo(phone);
        assertThat(variables.path("q").asString()).isEqualTo("a&admin=1 b+c");
        assertThat(variables.has("admin")).isFalse();
        assertThat(variables.path("path").asString()).isEqualTo("/lookup/..%2Fheld%2Fx");
    }

    @Test
    void postsAJsonBodyWhosePlaceholdersCannotBreakItNorAddFields() {
        String body = "{\"name\": \"{{name}}\", \"phone\": \"{{contact.phone}}\", \"amount\": {{amount}},"
                + " \"note\": \"order {{order}} for \\\"{{name}}\\\"\"}";
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"fetch","steps":[
                 {"id":"fetch","type":"fetch_variables",
                  "request":{"method":"POST","url":"%s","body":%s,"timeout":"PT5S"},
                  "extract":{"got_name":"/received/name","got_phone":"/received/phone","got_amount":"/received/amount",
                             "got_note":"/received/note","admin":"/received/admin","method":"/method","content_type":"/contentType",
                             "keys":"/idempotencyKeys"},
                  "branches":{"success":"ok","failure":"failed"}},
                 {"id":"ok","type":"end"},
                 {"id":"failed","type":"end"}]}""",
                "http://127.0.0.1:" + backend.getAddress().getPort() + "/orders", POSTED_JSON.writeValueAsString(body));
        String name = "Anne \"Annie\" O'Neil \\ Kade 1\n3511 AB Utrecht";
        String phone = contact();
        String quoted = start(flow, phone, Map.of("name", name, "amount", "12.50", "order", "A-1"));
        String injected = start(flow, contact(), Map.of("name", "Bob", "amount", "1, \"admin\": true", "order", "A-2"));

        awaitEnded(quoted);
        awaitEnded(injected);
        assertThat(steps(quoted)).containsExactly("fetch:success", "ok");
        JsonNode variables = api.get("/api/v1/journeys/" + quoted).json().path("variables");
        assertThat(variables.path("method").asString()).isEqualTo("POST");
        assertThat(variables.path("content_type").asString()).isEqualTo("application/json");
        assertThat(variables.path("got_name").asString()).isEqualTo(name);
        assertThat(variables.path("got_phone").asString()).isEqualTo(phone);
        // Sent as the number 12.50, which the backend read as 12.5: a string would have come back as it went.
        assertThat(variables.path("got_amount").asString()).isEqualTo("12.5");
        assertThat(variables.path("got_note").asString()).isEqualTo("order A-1 for \"" + name + "\"");
        // Outside a string, a value that is not one JSON value is sent as a string: it cannot add a field.
        assertThat(steps(injected)).containsExactly("fetch:success", "ok");
        JsonNode second = api.get("/api/v1/journeys/" + injected).json().path("variables");
        assertThat(second.path("got_amount").asString()).isEqualTo("1, \"admin\": true");
        assertThat(second.has("admin")).isFalse();
        // Each journey's POST carries a key of its own, the journey and its visit to the step, which a repeat after a
        // crash would carry again.
        assertThat(variables.path("keys").asString()).isEqualTo("[\"" + quoted + ".1\"]");
        assertThat(second.path("keys").asString()).isEqualTo("[\"" + injected + ".1\"]");
    }

    @Test
    void aFetchOfAHostTheSettingDoesNotAllowIsRefusedAtImportOrTakesTheFailureBranchUncalled() {
        String document = """
                {"name":"%s","entry":{"type":"api"},"start":"fetch","steps":[
                 {"id":"fetch","type":"fetch_variables","request":{"method":"GET","url":"%s"},
                  "extract":{"name":"/customer/name"},"branches":{"success":"end","failure":"end"}},
                 {"id":"end","type":"end"}]}""";
        String elsewhere = "http://127.0.0.2:" + backend.getAddress().getPort() + "/customers/";

        Api.Response refused = api.post("/api/v1/flows", document.formatted("step-test-" + FLOWS.incrementAndGet(), elsewhere + "c1"));
        String flow = publish(document, "{{backend}}c1");
        String allowed = start(flow, contact(), Map.of("backend", "http://127.0.0.1:" + backend.getAddress().getPort() + "/customers/"));
        String notAllowed = start(flow, contact(), Map.of("backend", elsewhere));

        assertThat(refused.status()).as(refused.body()).isEqualTo(400);
        assertThat(refused.json().path("details").path(0).path("step").asString()).isEqualTo("fetch");
        assertThat(refused.json().path("details").path(0).path("message").asString())
                .isEqualTo("request.url: the host 127.0.0.2 is not one reach.flows.fetch-hosts allows (127.0.0.1)");
        awaitEnded(allowed);
        awaitEnded(notAllowed);
        assertThat(steps(allowed)).containsExactly("fetch:success", "end");
        assertThat(steps(notAllowed)).containsExactly("fetch:failure", "end");
        assertThat(outcome(notAllowed, 0))
                .isEqualTo("the host 127.0.0.2 is not one reach.flows.fetch-hosts allows (127.0.0.1): not called");
    }

    @Test
    void aFetchsPostKeepsTheIdempotencyKeyAndContentTypeItsStepSets() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"fetch","steps":[
                 {"id":"fetch","type":"fetch_variables",
                  "request":{"method":"POST","url":"%s","headers":{"idempotency-key":"order-{{order}}",
                   "content-type":"application/json; charset=utf-8"},"body":"{}","timeout":"PT5S"},
                  "extract":{"keys":"/idempotencyKeys","content_type":"/contentType"},
                  "branches":{"success":"ok","failure":"failed"}},
                 {"id":"ok","type":"end"},
                 {"id":"failed","type":"end"}]}""",
                "http://127.0.0.1:" + backend.getAddress().getPort() + "/orders");
        String journey = start(flow, contact(), Map.of("order", "A-3"));

        awaitEnded(journey);
        assertThat(steps(journey)).containsExactly("fetch:success", "ok");
        assertThat(api.get("/api/v1/journeys/" + journey).json().path("variables").path("keys").asString())
                .isEqualTo("[\"order-A-3\"]");
        assertThat(api.get("/api/v1/journeys/" + journey).json().path("variables").path("content_type").asString())
                .isEqualTo("application/json; charset=utf-8");
    }

    @Test
    void aFetchWaitingOnItsBackendHoldsNoLockOnItsJourneyAndKeepsOtherNodesAwayWithItsLease() {
        String base = "http://127.0.0.1:" + backend.getAddress().getPort() + "/held/";
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"fetch","steps":[
                 {"id":"fetch","type":"fetch_variables","request":{"method":"GET","url":"{{backend}}{{customer}}","timeout":"PT30S"},
                  "extract":{"name":"/customer/name"},"branches":{"success":"ok","failure":"failed"}},
                 {"id":"ok","type":"add_report_row","status":"found","description":"{{name}}","next":"end"},
                 {"id":"failed","type":"add_report_row","status":"not found","description":"{{customer}}","next":"end"},
                 {"id":"end","type":"end"}]}""");
        String journey = start(flow, contact(), Map.of("backend", base, "customer", "c 7"));
        UUID id = UUID.fromString(journey);

        await().atMost(PATIENCE).until(() -> HELD_REQUESTS.get() == 1);
        // A transaction of the engine's would hold the row's lock, and SKIP LOCKED would then find nothing.
        assertThat(jdbc.sql("SELECT id FROM journeys WHERE id = ? FOR UPDATE SKIP LOCKED").param(id).query(UUID.class)
                .optional()).contains(id);
        // The lease covers the exchange (30 s, and 5 s to connect) and a lease after it, so no other node claims the journey.
        Instant leaseUntil = jdbc.sql("SELECT lease_until FROM journeys WHERE id = ?").param(id)
                .query((rs, n) -> rs.getObject(1, OffsetDateTime.class).toInstant()).single();
        assertThat(leaseUntil).isAfter(clock.instant().plus(Duration.ofSeconds(90)));
        assertThat(state(journey)).isEqualTo("RUNNING");
        assertThat(current(journey)).isEqualTo("fetch");

        LET_HELD_ANSWER.countDown();
        awaitEnded(journey);
        assertThat(steps(journey)).containsExactly("fetch:success", "ok", "end");
        assertThat(api.get("/api/v1/journeys/" + journey).json().path("variables").path("name").asString()).isEqualTo("Grace");
        assertThat(HELD_REQUESTS.get()).isEqualTo(1);
    }

    @Test
    void waitsADurationAndUntilALocalTimeWindow() {
        String from = windowStart(2);
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"pause","steps":[
                 {"id":"pause","type":"wait","duration":"P2D","next":"office_hours"},
                 {"id":"office_hours","type":"wait","window":{"from":"%s","to":"%s"},"next":"end"},
                 {"id":"end","type":"end"}]}""",
                from, windowStart(3));
        String journey = start(flow, contact(), Map.of());

        await().atMost(PATIENCE).until(() -> "pause".equals(current(journey)) && "WAITING".equals(state(journey)));
        Instant wake = Instant.parse(api.get("/api/v1/journeys/" + journey).json().path("wakeAt").asString());
        assertThat(Duration.between(clock.instant(), wake)).isBetween(Duration.ofDays(2).minusMinutes(1), Duration.ofDays(2));
        clock.advance(Duration.ofDays(2));
        await().atMost(PATIENCE).until(() -> "office_hours".equals(current(journey)) && "WAITING".equals(state(journey)));
        // The step it waits at is in its path and its counts, open, with what it is doing.
        JsonNode waitingPath = api.get("/api/v1/journeys/" + journey + "/path").json();
        assertThat(waitingPath).hasSize(2);
        assertThat(waitingPath.path(0).path("leftAt").asString()).isNotEmpty();
        assertThat(waitingPath.path(1).path("stepId").asString()).isEqualTo("office_hours");
        assertThat(waitingPath.path(1).path("seq").asInt()).isEqualTo(2);
        assertThat(waitingPath.path(1).path("enteredAt").asString()).isEqualTo(waitingPath.path(0).path("leftAt").asString());
        assertThat(waitingPath.path(1).has("leftAt")).as("left not yet").isFalse();
        assertThat(waitingPath.path(1).path("outcome").asString()).startsWith("waiting until");
        JsonNode waitingCounts = api.get("/api/v1/flows/" + flow + "/versions/1/counts").json().path("steps");
        assertThat(waitingCounts.path("pause").path("entered").asLong()).isEqualTo(1);
        assertThat(waitingCounts.path("office_hours").path("entered").asLong()).isEqualTo(1);
        assertThat(waitingCounts.path("office_hours").path("waiting").asLong()).isEqualTo(1);
        Instant windowWake = Instant.parse(api.get("/api/v1/journeys/" + journey).json().path("wakeAt").asString());
        ZonedDateTime local = windowWake.atZone(ZoneId.of("Europe/Amsterdam"));
        assertThat(local.toLocalTime().toString()).isEqualTo(from);
        clock.advance(Duration.between(clock.instant(), windowWake).plusSeconds(1));
        awaitEnded(journey);
        assertThat(steps(journey)).containsExactly("pause", "office_hours", "end");
        assertThat(api.get("/api/v1/journeys/" + journey).json().has("wakeAt")).as("an ended journey waits for nothing").isFalse();
    }

    @Test
    void aLongPathIsReadPageByPageInTheOrderTheJourneyWalkedIt() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"hourly","steps":[
                 {"id":"hourly","type":"wait","duration":"PT1H","next":"hourly"}]}""");
        String journey = start(flow, contact(), Map.of());
        for (int wakes = 0; wakes <= 5; wakes++) {
            int walked = wakes + 1;
            await().atMost(PATIENCE).until(() -> "WAITING".equals(state(journey)) && steps(journey).size() == walked);
            if (wakes < 5) {
                clock.advance(Duration.ofHours(1));
            }
        }

        List<JsonNode> pages = api.followPages("/api/v1/journeys/" + journey + "/path?limit=4");
        assertThat(pages).extracting(JsonNode::size).containsExactly(4, 2);
        List<Integer> seqs = new ArrayList<>();
        pages.forEach(page -> page.forEach(step -> seqs.add(step.path("seq").asInt())));
        assertThat(seqs).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(pages.get(1).path(1).has("leftAt")).as("the step it waits at").isFalse();
        assertThat(api.get("/api/v1/journeys/" + journey + "/path?after=5").json()).extracting(step -> step.path("seq").asInt())
                .containsExactly(6);
        assertThat(api.get("/api/v1/journeys/" + journey + "/path").json()).hasSize(6);
        for (String refused : List.of("limit=0", "limit=10001", "after=-1", "after=x")) {
            Api.Response answer = api.get("/api/v1/journeys/" + journey + "/path?" + refused);
            assertThat(answer.status()).as(refused).isEqualTo(400);
            assertThat(answer.body()).as(refused).contains(refused.substring(0, refused.indexOf('=')));
        }
    }

    @Test
    void readsAWindowInEveryTimeZoneOfANumberThatDoesNotTellWhichAndInUtcWhenTheyLieTooFarApart() {
        // An eight-hour window that opens one to two hours from now in Perth: closed now in every Australian zone.
        ZoneId perth = ZoneId.of("Australia/Perth");
        LocalTime from = clock.instant().atZone(perth).plusHours(2).toLocalTime().withMinute(0).withSecond(0).withNano(0);
        LocalTime to = from.plusHours(8);
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"office_hours","steps":[
                 {"id":"office_hours","type":"wait","window":{"from":"%s","to":"%s"},"next":"end"},
                 {"id":"end","type":"end"}]}""", from, to);
        String australian = "+614123" + String.format("%05d", NUMBERS.incrementAndGet());
        String russian = "+7912" + String.format("%07d", NUMBERS.incrementAndGet());
        for (String phone : List.of(australian, russian)) {
            Fixtures.contact(api, phone, Map.of("utility", true), false);
            assertThat(contactByPhone(phone).has("timeZone")).as("no single zone for " + phone).isFalse();
        }
        String aussie = start(flow, australian, Map.of());
        String muscovite = start(flow, russian, Map.of());

        await().atMost(PATIENCE).until(() -> "WAITING".equals(state(aussie)) && "WAITING".equals(state(muscovite)));
        Instant wake = Instant.parse(api.get("/api/v1/journeys/" + aussie).json().path("wakeAt").asString());
        for (String zone : List.of("Australia/Perth", "Australia/Adelaide", "Australia/Sydney", "Indian/Cocos")) {
            LocalTime local = wake.atZone(ZoneId.of(zone)).toLocalTime();
            assertThat(from.isBefore(to) ? !local.isBefore(from) && local.isBefore(to) : !local.isBefore(from) || local.isBefore(to))
                    .as(zone + " at " + local + ", window " + from + "–" + to).isTrue();
        }
        // The westernmost zone, the Cocos Islands (UTC+6:30), opens last.
        assertThat(wake.atZone(ZoneId.of("Indian/Cocos")).toLocalTime()).isEqualTo(from);
        assertThat(outcome(aussie, 0)).contains("in each of the number's time zones: ", "Australia/Perth", "Australia/Sydney");
        // From UTC+2 to UTC+12: an eight-hour window is never open in all of them at once.
        Instant utcWake = Instant.parse(api.get("/api/v1/journeys/" + muscovite).json().path("wakeAt").asString());
        assertThat(utcWake.atZone(ZoneOffset.UTC).toLocalTime()).isEqualTo(from);
        assertThat(outcome(muscovite, 0)).contains("UTC: no moment is inside it in all of the", "set the contact's timeZone");
    }

    @Test
    void sendsATemplateWhosePlaceholderHoldsLineBreaksOnOneLineAsWhatsAppTakesIt() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"send","steps":[
                 {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
                  "headerParameters":["{{order}}"],"bodyParameters":["{{contact.address}}","{{order}}"],"next":"end"},
                 {"id":"end","type":"end"}]}""");
        String phone = contact();
        String contactId = contactByPhone(phone).path("id").asString();
        Api.Response changed = api.patch("/api/v1/contacts/" + contactId,
                Map.of("attributes", Map.of("address", "Kade 1\r\n3511 AB Utrecht\t(NL)      back door")));
        assertThat(changed.status()).as(changed.body()).isEqualTo(200);
        String journey = start(flow, phone, Map.of("order", "A-7"));

        awaitEnded(journey);
        String message = api.get("/api/v1/journeys/" + journey + "/path").json().path(0).path("messageId").asString();
        JsonNode sent = api.get("/api/v1/messages/" + message).json();
        // WhatsApp refuses a parameter with a line break, a tab or five spaces in a row: the send would have failed.
        assertThat(sent.path("status").asString()).isNotIn("blocked", "failed");
        assertThat(sent.path("renderedText").asString()).contains("Hi Kade 1 3511 AB Utrecht (NL) back door, your order A-7");
    }

    @Test
    void sendsATemplateWithNamedPlaceholdersFromValuesByNameAndRefusesAFlowThatMisnamesOne() {
        Fixtures.reservationTemplate(api);
        String document = """
                {"name":"%s","entry":{"type":"api"},"start":"send","steps":[
                 {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"reservation_confirmation","language":"en_US",
                  "bodyParameters":{"day":"{{day | CapitalizeFirst}}","%s":"{{guests}}"},"next":"end"},
                 {"id":"end","type":"end"}]}""";

        Api.Response misnamed = api.post("/api/v1/flows", document.formatted("step-test-" + FLOWS.incrementAndGet(), "guests"));
        String flow = publish(document, "number_of_guests");
        String journey = start(flow, contact(), Map.of("day", "saturday", "guests", "4"));

        assertThat(misnamed.status()).isEqualTo(400);
        assertThat(misnamed.json().path("details")).extracting(detail -> detail.path("step").asString() + ": "
                + detail.path("message").asString()).contains("send: bodyParameters.guests: the template's body has no"
                + " {{guests}} (it has {{number_of_guests}}, {{day}}) (template reservation_confirmation, en_US)");
        awaitEnded(journey);
        String message = api.get("/api/v1/journeys/" + journey + "/path").json().path(0).path("messageId").asString();
        assertThat(api.get("/api/v1/messages/" + message).json().path("renderedText").asString())
                .isEqualTo("Your table for 4 on Saturday is confirmed. See you then!");
        // The sandbox's Meta refuses a send that does not name each placeholder (132000): this one went out.
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(api.get("/api/v1/messages/" + message).json()
                .path("status").asString()).isIn("sent", "delivered", "read"));
    }

    @Test
    void aMessageOverItsSendersMessagingLimitFallsBackToSmsAtOnce() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"send","steps":[
                 {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
                  "headerParameters":["A-9"],"bodyParameters":["{{contact.first_name}}","A-9"],"next":"status"},
                 {"id":"status","type":"branch_on_status","message":"send","timeout":"P1D",
                  "branches":{"delivered":"end","failed":"sms","timeout":"end"}},
                 {"id":"sms","type":"send_sms","sender":"sandbox-sms","text":"Order A-9 is ready","category":"utility",
                  "next":"end"},
                 {"id":"end","type":"end"}]}""");
        String sandboxSender = sandboxNumber().path("id").asString();
        assertThat(api.patch("/api/v1/senders/" + sandboxSender, Map.of("messagingLimit", 1)).status()).isEqualTo(200);
        try {
            String first = contact();
            String second = contact();
            String reached = start(flow, first, Map.of());
            awaitEnded(reached);
            String overLimit = start(flow, second, Map.of());

            awaitEnded(overLimit);
            assertThat(steps(reached)).containsExactly("send", "status:delivered", "end");
            assertThat(steps(overLimit)).containsExactly("send", "status:failed", "sms", "end");
            assertThat(outcome(overLimit, 0)).isEqualTo("queued");
            String refused = api.get("/api/v1/journeys/" + overLimit + "/path").json().path(0).path("messageId").asString();
            assertThat(api.get("/api/v1/messages/" + refused).json().path("blockedReason").asString())
                    .startsWith("over the messaging limit: sandbox has reached its 1 number outside a customer-service window");
            await().atMost(PATIENCE).until(() -> sandbox.smsc().submitsTo(second).size() == 1);
            assertThat(sandbox.smsc().submitsTo(first)).isEmpty();
        } finally {
            assertThat(api.patch("/api/v1/senders/" + sandboxSender, Map.of("messagingLimit", 0)).status()).isEqualTo(200);
        }
    }

    @Test
    void aStatusTimeoutCountsFromWhenTheMessageWentOutNotWhileItWaitedItsTurnBehindOthersOfItsSender() {
        String flow = publish(SEND_THEN_AWAIT_DELIVERY_30_SECONDS);
        JsonNode sandboxNumber = sandboxNumber();
        String sandboxSender = sandboxNumber.path("id").asString();
        int throughput = sandboxNumber.path("throughputPerSecond").asInt();
        assertThat(throughput).isGreaterThan(1);
        // One a second: the first message goes out at once, the others wait their turn, queued, a second each.
        assertThat(api.patch("/api/v1/senders/" + sandboxSender, Map.of("throughputPerSecond", 1)).status()).isEqualTo(200);
        try {
            // Handsets that report no status at all: only the timeout ends a journey.
            List<String> phones = IntStream.range(0, 4).mapToObj(i -> contact("7")).toList();
            Instant began = clock.instant();
            List<String> journeys = phones.stream().map(phone -> start(flow, phone, Map.of())).toList();
            await().atMost(PATIENCE).until(() -> journeys.stream().allMatch(j -> "status".equals(current(j))
                    && "WAITING".equals(state(j))) && phones.stream().anyMatch(p -> sandbox.graphApi().acceptedFor(p) == 1));

            // The clock keeps running: a message a second goes on going out while the test looks, so which ones
            // waited their turn past the move is read afterwards, from when each went out.
            Instant beforeTheMove = clock.instant();
            clock.advance(Duration.ofSeconds(31));
            await().atMost(PATIENCE).until(() -> journeys.stream().allMatch(j -> wentOutAt(messageOf(j)).isPresent()));
            List<String> waitingTheirTurn = journeys.stream()
                    .filter(j -> wentOutAt(messageOf(j)).orElseThrow().isAfter(beforeTheMove.plusSeconds(30))).toList();
            assertThat(waitingTheirTurn).as("some went out before the move, some after").isNotEmpty()
                    .hasSizeLessThan(journeys.size());

            // Those sent at once time out; those that waited their turn went out after and wait their timeout from then.
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(journeys).allSatisfy(j -> {
                boolean waited = waitingTheirTurn.contains(j);
                assertThat(state(j)).isEqualTo(waited ? "WAITING" : "ENDED");
                if (waited) {
                    // Looked at again a timeout after its first timeout came (or after its message went out, then).
                    assertThat(Instant.parse(api.get("/api/v1/journeys/" + j).json().path("wakeAt").asString()))
                            .isAfterOrEqualTo(began.plusSeconds(61)).isBeforeOrEqualTo(clock.instant().plusSeconds(30));
                }
            }));
            for (String journey : waitingTheirTurn) {
                JsonNode status = api.get("/api/v1/journeys/" + journey + "/path").json().path(1);
                assertThat(status.path("outcome").asString()).startsWith("waiting: its message ");
                assertThat(status.has("leftAt")).as("left not yet").isFalse();
            }

            clock.advance(Duration.ofSeconds(31));
            journeys.forEach(this::awaitEnded);
            for (String journey : journeys) {
                assertThat(steps(journey)).containsExactly("send", "status:timeout", "gave_up", "end");
                assertThat(outcome(journey, 1)).isEqualTo("no decision in time");
                assertThat(api.get("/api/v1/messages/" + messageOf(journey)).json().path("status").asString()).isEqualTo("submitted");
            }
        } finally {
            assertThat(api.patch("/api/v1/senders/" + sandboxSender, Map.of("throughputPerSecond", throughput)).status()).isEqualTo(200);
        }
    }

    @Test
    void aMessageMetaAskedToSendMoreSlowlyWaitsItsTurnWhileItsSenderSendsAndIsWithdrawnOnceNothingGoesOut() {
        String flow = publish(SEND_THEN_AWAIT_DELIVERY_30_SECONDS);
        // Meta answered its first attempt with 130429 (the number's throughput): it is tried again ten minutes on.
        Throttled throttled = throttled(flow);
        // Meanwhile the number goes on sending, as in a broadcast: a handset that reports no status.
        String other = contact("7");
        String otherJourney = start(flow, other, Map.of());
        await().atMost(PATIENCE).until(() -> sandbox.graphApi().acceptedFor(other) == 1);

        clock.advance(Duration.ofSeconds(31));

        // Meta refused the pace, not the message: it waits its turn, as the messages queued behind others do.
        awaitEnded(otherJourney);
        await().atMost(PATIENCE).until(() -> outcome(throttled.journey(), 1).startsWith("waiting: its message waits its turn"));
        assertThat(state(throttled.journey())).isEqualTo("WAITING");
        assertThat(api.get("/api/v1/messages/" + throttled.message()).json().path("status").asString()).isEqualTo("queued");

        // A minute with nothing handed over: the number is not moving, and the timeout runs out after all.
        clock.advance(Duration.ofSeconds(31));
        awaitEnded(throttled.journey());
        assertThat(steps(throttled.journey())).containsExactly("send", "status:timeout", "gave_up", "end");
        assertThat(api.get("/api/v1/messages/" + throttled.message()).json().path("status").asString()).isEqualTo("blocked");
        assertThat(sandbox.graphApi().acceptedFor(throttled.phone())).isZero();
    }

    @Test
    void anSmsTooLongForItsPartsIsBlockedWithTheReasonAndTheJourneyGoesOnByItsStatus() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"sms","steps":[
                 {"id":"sms","type":"send_sms","sender":"sandbox-sms","text":"Your order: {{details}}","category":"utility",
                  "next":"sms_status"},
                 {"id":"sms_status","type":"branch_on_status","message":"sms","timeout":"PT1H",
                  "branches":{"delivered":"end","failed":"end","blocked":"refused","timeout":"end"}},
                 {"id":"refused","type":"add_report_row","status":"not sent","description":"{{details | default: -}}",
                  "next":"end"},
                 {"id":"end","type":"end"}]}""");
        String journey = start(flow, contact(), Map.of("details", "x".repeat(2_000)));

        awaitEnded(journey);
        assertThat(steps(journey)).containsExactly("sms", "sms_status:blocked", "refused", "end");
        assertThat(outcome(journey, 0)).isEqualTo("blocked: text: needs 14 SMS parts; at most 10 are sent");
    }

    /** Sends the template and waits two hours for a reply: the quick reply YES, a text, or none; each reported. */
    private static final String ASK_AND_BRANCH_ON_THE_REPLY = """
            {"name":"%s","entry":{"type":"api"},"start":"send","steps":[
             {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
              "headerParameters":["X"],"bodyParameters":["{{contact.first_name | default: friend}}","X"],"next":"reply"},
             {"id":"reply","type":"wait_for_reply","message":"send","timeout":"PT2H",
              "branches":{"YES":"yes","any_text":"text","no_reply":"silent"}},
             {"id":"yes","type":"add_report_row","status":"yes","next":"end"},
             {"id":"text","type":"add_report_row","status":"text: {{reply.text}}","next":"end"},
             {"id":"silent","type":"add_report_row","status":"no reply","next":"end"},
             {"id":"end","type":"end"}]}""";

    @Test
    void waitsForAReplyAndBranchesPerPayloadOnAnyTextAndOnNoReply() {
        String flow = publish(ASK_AND_BRANCH_ON_THE_REPLY);
        String yes = start(flow, contact("1"), Map.of());
        String quiet = contact("2");
        String silent = start(flow, quiet, Map.of());
        String texter = contact("2");
        String text = start(flow, texter, Map.of());

        awaitEnded(yes);
        assertThat(steps(yes)).containsExactly("send", "reply:YES", "yes", "end");
        await().atMost(PATIENCE).until(() -> "reply".equals(current(text)) && "WAITING".equals(state(text)));
        awaitFirstMessageSent(text);
        postInboundText(texter, "I'll come at five");
        awaitEnded(text);
        assertThat(steps(text)).containsExactly("send", "reply:any_text", "text", "end");
        assertThat(api.get("/api/v1/flows/" + flow + "/reports").body()).contains("text: I'll come at five");
        await().atMost(PATIENCE).until(() -> "reply".equals(current(silent)) && "WAITING".equals(state(silent)));
        // Meta's notice that the user changed its number is no answer of the contact's.
        postInbound(quiet, "\"type\":\"system\",\"system\":{\"body\":\"User changed from " + quiet.substring(1)
                + " to 31613099999\",\"wa_id\":\"31613099999\",\"type\":\"user_changed_number\"}", clock.instant());
        String quietId = contactByPhone(quiet).path("id").asString();
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/inbound-messages?contactId=" + quietId).json().size() == 1);
        clock.advance(Duration.ofHours(2).plusSeconds(1));
        awaitEnded(silent);
        assertThat(steps(silent)).containsExactly("send", "reply:no_reply", "silent", "end");
    }

    @Test
    void aQuestionThatWasNotSentOrFailedTakesTheNoReplyBranchAtOnceRatherThanAfterItsTimeout() {
        String flow = publish(ASK_AND_BRANCH_ON_THE_REPLY);
        // Each handset refuses a first attempt for throughput: the questions wait ten (moved) minutes, queued.
        String optedOutBefore = contact("8");
        String optsOutWhileQueued = contact("8");
        String stays = contact("8");
        assertThat(api.patch("/api/v1/contacts/" + contactByPhone(optedOutBefore).path("id").asString(),
                Map.of("optedOut", true)).status()).isEqualTo(200);

        String notOnWhatsApp = contact("4");
        String blockedAtOnce = start(flow, optedOutBefore, Map.of());
        String withdrawn = start(flow, optsOutWhileQueued, Map.of());
        String waiting = start(flow, stays, Map.of());
        String failed = start(flow, notOnWhatsApp, Map.of());
        String question = messageOf(withdrawn);
        await().atMost(PATIENCE).until(() -> triedOnceAndWaiting(question) && triedOnceAndWaiting(messageOf(waiting))
                && "reply".equals(current(withdrawn)) && "WAITING".equals(state(withdrawn)));
        assertThat(api.patch("/api/v1/contacts/" + contactByPhone(optsOutWhileQueued).path("id").asString(),
                Map.of("optedOut", true)).status()).isEqualTo(200);

        // The clock has not moved: their two hours did not run out.
        for (String journey : List.of(blockedAtOnce, withdrawn)) {
            awaitEnded(journey);
            assertThat(steps(journey)).containsExactly("send", "reply:no_reply", "silent", "end");
            assertThat(outcome(journey, 1)).isEqualTo("no reply can come: its question was not sent (blocked: opted out:"
                    + " the contact opted out of all messages)");
        }
        assertThat(api.get("/api/v1/messages/" + question).json().path("status").asString()).isEqualTo("blocked");
        awaitEnded(failed);
        assertThat(steps(failed)).containsExactly("send", "reply:no_reply", "silent", "end");
        assertThat(outcome(failed, 1)).startsWith("no reply can come: its question failed (131026 ");
        assertThat(current(waiting)).isEqualTo("reply");
        assertThat(state(waiting)).isEqualTo("WAITING");
        clock.advance(Duration.ofMinutes(11));
        await().atMost(PATIENCE).until(() -> sandbox.graphApi().acceptedFor(stays) == 1);
        assertThat(sandbox.graphApi().acceptedFor(optedOutBefore) + sandbox.graphApi().acceptedFor(optsOutWhileQueued)).isZero();
    }

    @Test
    void aReplyFromAUserWhoseNumberMetaWithholdsReachesItsJourneyThroughTheMessageItQuotesOrItsUserId() {
        String flow = publish(ASK_AND_BRANCH_ON_THE_REPLY);
        // The sandbox's handsets of users who took a username: their webhooks carry neither from nor wa_id.
        String tapper = "+3161330" + String.format("%04d", NUMBERS.incrementAndGet());
        String typist = "+3161331" + String.format("%04d", NUMBERS.incrementAndGet());
        Fixtures.contact(api, tapper, Map.of("utility", true), false);
        Fixtures.contact(api, typist, Map.of("utility", true), false);
        String tapped = start(flow, tapper, Map.of());
        String typed = start(flow, typist, Map.of());

        awaitEnded(tapped);
        assertThat(steps(tapped)).containsExactly("send", "reply:YES", "yes", "end");
        // A typed text quotes nothing: it is the contact's whose user id Meta named beside its number in the
        // statuses of the message sent to it, and the journey takes it.
        String typistId = api.get("/api/v1/contacts?phone=" + typist.replace("+", "%2B")).json().path(0).path("id").asString();
        await().atMost(PATIENCE).until(() -> "read".equals(api.get("/api/v1/messages?contactId=" + typistId).json()
                .path(0).path("status").asString()));
        Api.Response written = api.post("/api/v1/sandbox/inbound-messages", Map.of("from", typist, "text", "Yes please"));
        assertThat(written.status()).as(written.body()).isEqualTo(202);
        awaitEnded(typed);
        assertThat(steps(typed)).containsExactly("send", "reply:any_text", "text", "end");
        assertThat(api.get("/api/v1/inbound-messages?contactId=" + typistId).json().valueStream()
                .map(reply -> reply.path("text").asString())).containsExactly("Yes please");
    }

    /** Sends the template, waits an hour, then waits two hours for a reply to it: a text, or none. */
    private static final String SEND_PAUSE_THEN_AWAIT_A_TEXT = """
            {"name":"%s","entry":{"type":"api"},"start":"send","steps":[
             {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
              "headerParameters":["X"],"bodyParameters":["friend","X"],"next":"pause"},
             {"id":"pause","type":"wait","duration":"PT1H","next":"reply"},
             {"id":"reply","type":"wait_for_reply","message":"send","timeout":"PT2H",
              "branches":{"any_text":"text","no_reply":"silent"}},
             {"id":"text","type":"add_report_row","status":"text: {{reply.text}}","next":"end"},
             {"id":"silent","type":"add_report_row","status":"no reply","next":"end"},
             {"id":"end","type":"end"}]}""";

    @Test
    void aTypedReplyThatCameBeforeTheJourneyWaitsForItDecidesItButNotOneWrittenBeforeTheMessageWasSent() {
        String flow = publish(SEND_PAUSE_THEN_AWAIT_A_TEXT);
        String texter = contact("2");
        String early = contact("2");
        String answered = start(flow, texter, Map.of());
        String unanswered = start(flow, early, Map.of());
        await().atMost(PATIENCE).until(() -> "pause".equals(current(answered)) && "pause".equals(current(unanswered)));
        Instant sent = Instant.parse(api.get("/api/v1/journeys/" + answered + "/path").json().path(0).path("enteredAt").asString());
        awaitFirstMessageSent(answered);

        // Typed while the journey waits at another step (or held up by an outage): no quote, as most replies.
        postInboundText(texter, "I'll come at five");
        // Written an hour before the message was sent, and delivered to Reach only now (Meta retries for days).
        postInboundText(early, "Is my order ready?", sent.minus(Duration.ofHours(1)));
        clock.advance(Duration.ofHours(1).plusSeconds(1));

        awaitEnded(answered);
        assertThat(steps(answered)).containsExactly("send", "pause", "reply:any_text", "text", "end");
        assertThat(api.get("/api/v1/flows/" + flow + "/reports").body()).contains("text: I'll come at five");
        await().atMost(PATIENCE).until(() -> "reply".equals(current(unanswered)) && "WAITING".equals(state(unanswered)));
        clock.advance(Duration.ofHours(2).plusSeconds(1));
        awaitEnded(unanswered);
        assertThat(steps(unanswered)).containsExactly("send", "pause", "reply:no_reply", "silent", "end");
    }

    @Test
    void aTextTypedInAnotherConversationIsNoReplyToTheMessage() {
        String flow = publish(SEND_PAUSE_THEN_AWAIT_A_TEXT);
        String phone = contact("2");
        String contactId = api.get("/api/v1/contacts?phone=" + phone.replace("+", "%2B")).json().path(0).path("id").asString();
        String journey = start(flow, phone, Map.of());
        await().atMost(PATIENCE).until(() -> "pause".equals(current(journey)));

        // Texts to the SMS number, before the journey waits for the reply and while it waits: another thread than
        // the WhatsApp message's, so neither answers it.
        sandbox.smsc().deliverInbound(phone, "Reach", "Is this about my order?");
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/inbound-messages?contactId=" + contactId).json().size() == 1);
        clock.advance(Duration.ofHours(1).plusSeconds(1));
        await().atMost(PATIENCE).until(() -> "reply".equals(current(journey)) && "WAITING".equals(state(journey)));
        sandbox.smsc().deliverInbound(phone, "Reach", "Hello?");
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/inbound-messages?contactId=" + contactId).json().size() == 2);
        awaitFirstMessageSent(journey);
        postInboundText(phone, "I'll come at five");

        awaitEnded(journey);
        assertThat(steps(journey)).containsExactly("send", "pause", "reply:any_text", "text", "end");
        assertThat(api.get("/api/v1/flows/" + flow + "/reports").json().path(0).path("status").asString())
                .isEqualTo("text: I'll come at five");
    }

    /** Sends the template and waits two hours for a reply to it: a text, or none. */
    private static final String SEND_THEN_AWAIT_A_TEXT = """
            {"name":"%s","entry":{"type":"api"},"start":"send","steps":[
             {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
              "headerParameters":["X"],"bodyParameters":["friend","X"],"next":"reply"},
             {"id":"reply","type":"wait_for_reply","message":"send","timeout":"PT2H",
              "branches":{"any_text":"text","no_reply":"silent"}},
             {"id":"text","type":"add_report_row","status":"text: {{reply.text}}","next":"end"},
             {"id":"silent","type":"add_report_row","status":"no reply","next":"end"},
             {"id":"end","type":"end"}]}""";

    /** Sends the template and asks nothing: a notification. */
    private static final String SEND_A_NOTIFICATION = """
            {"name":"%s","entry":{"type":"api"},"start":"send","steps":[
             {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
              "headerParameters":["X"],"bodyParameters":["friend","X"],"next":"end"},
             {"id":"end","type":"end"}]}""";

    @Test
    void aTypedTextAnswersTheNewestQuestionSentBeforeItNotAnEarlierOneNorDoesANotificationSentSinceTakeIt() {
        // Both questions wait when the text comes: it decides the newer one's journey only.
        String waiting = contact("2");
        String earlier = sentAMinuteAgo(SEND_THEN_AWAIT_A_TEXT, waiting, "reply");
        String newer = sentAMinuteAgo(SEND_THEN_AWAIT_A_TEXT, waiting, "reply");
        sentAMinuteAgo(SEND_A_NOTIFICATION, waiting, null);
        postInboundText(waiting, "5");

        awaitEnded(newer);
        assertThat(steps(newer)).containsExactly("send", "reply:any_text", "text", "end");
        // The earlier question's journey has its own wait for the contact's word: it holds the text back from it.
        String paused = contact("2");
        String pausedFirst = sentAMinuteAgo(SEND_PAUSE_THEN_AWAIT_A_TEXT, paused, "pause");
        String askedSince = sentAMinuteAgo(SEND_THEN_AWAIT_A_TEXT, paused, "reply");
        postInboundText(paused, "tomorrow");
        awaitEnded(askedSince);
        assertThat(steps(askedSince)).containsExactly("send", "reply:any_text", "text", "end");
        assertThat(state(earlier)).isEqualTo("WAITING");

        clock.advance(Duration.ofHours(1).plusSeconds(1));
        await().atMost(PATIENCE).until(() -> "reply".equals(current(pausedFirst)) && "WAITING".equals(state(pausedFirst)));
        clock.advance(Duration.ofHours(2).plusSeconds(1));
        awaitEnded(earlier);
        awaitEnded(pausedFirst);
        assertThat(steps(earlier)).containsExactly("send", "reply:no_reply", "silent", "end");
        assertThat(steps(pausedFirst)).containsExactly("send", "pause", "reply:no_reply", "silent", "end");
    }

    /** The sandbox's WhatsApp number, as the senders' API shows it. */
    private JsonNode sandboxNumber() {
        return api.get("/api/v1/senders").json().valueStream()
                .filter(sender -> "sandbox".equals(sender.path("name").asString())).findFirst().orElseThrow();
    }

    /**
     * Starts a journey of a new flow of {@code document} for {@code phone}, waits until its first message has left the
     * queue and the journey is at {@code step} (or ended, when null), then moves the clock a minute on.
     */
    private String sentAMinuteAgo(String document, String phone, String step) {
        String journey = start(publish(document), phone, Map.of());
        await().atMost(PATIENCE).until(() -> step == null ? "ENDED".equals(state(journey))
                : step.equals(current(journey)) && "WAITING".equals(state(journey)));
        awaitFirstMessageSent(journey);
        clock.advance(Duration.ofMinutes(1));
        return journey;
    }

    /** Waits until the message of the journey's first step has gone out: a contact answers only what reached them. */
    private void awaitFirstMessageSent(String journey) {
        String message = api.get("/api/v1/journeys/" + journey + "/path").json().path(0).path("messageId").asString();
        await().atMost(PATIENCE).until(() -> !"queued".equals(api.get("/api/v1/messages/" + message).json().path("status").asString()));
    }

    /** The provider's id (a wamid) of the journey's first message, once its provider took it. */
    private String awaitProviderIdOfFirstMessage(String journey) {
        String sent = api.get("/api/v1/journeys/" + journey + "/path").json().path(0).path("messageId").asString();
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/messages/" + sent).json().path("providerMessageId").isString());
        return api.get("/api/v1/messages/" + sent).json().path("providerMessageId").asString();
    }

    @Test
    void aQuickReplyWhosePayloadHoldsACommaTakesItsBranch() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"send","steps":[
                 {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
                  "headerParameters":["X"],"bodyParameters":["friend","X"],"next":"reply"},
                 {"id":"reply","type":"wait_for_reply","message":"send","timeout":"PT2H",
                  "branches":{"YES, TODAY":"today","YES":"later","any_text":"text","no_reply":"end"}},
                 {"id":"today","type":"add_report_row","status":"today","next":"end"},
                 {"id":"later","type":"add_report_row","status":"later","next":"end"},
                 {"id":"text","type":"add_report_row","status":"text","next":"end"},
                 {"id":"end","type":"end"}]}""");
        String phone = contact("2");
        String journey = start(flow, phone, Map.of());
        await().atMost(PATIENCE).until(() -> "reply".equals(current(journey)) && "WAITING".equals(state(journey)));
        String wamid = awaitProviderIdOfFirstMessage(journey);

        postInbound(phone, "\"type\":\"button\",\"button\":{\"payload\":\"YES, TODAY\",\"text\":\"Yes, today\"},"
                + "\"context\":{\"from\":\"15550100001\",\"id\":\"" + wamid + "\"}", clock.instant());

        awaitEnded(journey);
        assertThat(steps(journey)).containsExactly("send", "reply:YES, TODAY", "today", "end");
    }

    @Test
    void aQuickReplyPayloadOfAThousandCharactersTakesItsBranchAndIsCounted() {
        // More than an entry of PostgreSQL's B-tree may hold (2,704 bytes), were branches indexed there.
        String payload = incompressible(1_000);
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"send","steps":[
                 {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
                  "headerParameters":["X"],"bodyParameters":["friend","X"],"next":"reply"},
                 {"id":"reply","type":"wait_for_reply","message":"send","timeout":"PT2H",
                  "branches":{"PAYLOAD":"yes","no_reply":"end"}},
                 {"id":"yes","type":"add_report_row","status":"yes","next":"end"},
                 {"id":"end","type":"end"}]}""".replace("PAYLOAD", payload));
        String phone = contact("2");
        String journey = start(flow, phone, Map.of());
        await().atMost(PATIENCE).until(() -> "reply".equals(current(journey)) && "WAITING".equals(state(journey)));
        String wamid = awaitProviderIdOfFirstMessage(journey);

        postInbound(phone, "\"type\":\"button\",\"button\":{\"payload\":\"" + payload + "\",\"text\":\"Yes\"},"
                + "\"context\":{\"from\":\"15550100001\",\"id\":\"" + wamid + "\"}", clock.instant());

        awaitEnded(journey);
        assertThat(steps(journey)).containsExactly("send", "reply:" + payload, "yes", "end");
        JsonNode counts = api.get("/api/v1/flows/" + flow + "/versions/1/counts").json().path("steps");
        assertThat(counts.path("reply").path("branches").path(payload).asInt()).as(counts.toString()).isEqualTo(1);
    }

    @Test
    void aReactionToTheMessageIsKeptWithItsRepliesButIsNoReply() {
        String flow = publish(SEND_PAUSE_THEN_AWAIT_A_TEXT);
        String phone = contact("2");
        String journey = start(flow, phone, Map.of());
        await().atMost(PATIENCE).until(() -> "pause".equals(current(journey)));
        String wamid = awaitProviderIdOfFirstMessage(journey);
        String sent = api.get("/api/v1/journeys/" + journey + "/path").json().path(0).path("messageId").asString();

        // One before the journey waits for the reply, one while it waits.
        postInbound(phone, "\"type\":\"reaction\",\"reaction\":{\"message_id\":\"" + wamid + "\",\"emoji\":\"\uD83D\uDC4D\"}",
                clock.instant());
        clock.advance(Duration.ofHours(1).plusSeconds(1));
        await().atMost(PATIENCE).until(() -> "reply".equals(current(journey)) && "WAITING".equals(state(journey)));
        postInbound(phone, "\"type\":\"reaction\",\"reaction\":{\"message_id\":\"" + wamid + "\",\"emoji\":\"\u2764\"}",
                clock.instant());
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/messages/" + sent).json().path("replies").size() == 2);
        clock.advance(Duration.ofHours(2).plusSeconds(1));

        awaitEnded(journey);
        assertThat(steps(journey)).containsExactly("send", "pause", "reply:no_reply", "silent", "end");
        JsonNode replies = api.get("/api/v1/messages/" + sent).json().path("replies");
        assertThat(replies.valueStream().map(r -> r.path("type").asString() + " " + r.path("text").asString()))
                .containsExactly("reaction \uD83D\uDC4D", "reaction \u2764");
    }

    @Test
    void aLongReplyDecidesItsJourneyAndIsReportedWholeAndAStepOutcomeQuotingItIsClipped() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"send","steps":[
                 {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
                  "headerParameters":["X"],"bodyParameters":["friend","X"],"next":"reply"},
                 {"id":"reply","type":"wait_for_reply","message":"send","timeout":"PT2H",
                  "branches":{"any_text":"check","no_reply":"end"}},
                 {"id":"check","type":"condition","condition":{"left":"{{reply.text}}","operator":"contains","right":"five"},
                  "branches":{"true":"text","false":"end"}},
                 {"id":"text","type":"add_report_row","status":"text: {{reply.text}}","description":"{{reply.text}}","next":"end"},
                 {"id":"end","type":"end"}]}""");
        String texter = contact("2");
        String journey = start(flow, texter, Map.of());
        await().atMost(PATIENCE).until(() -> "reply".equals(current(journey)) && "WAITING".equals(state(journey)));
        // As long as a WhatsApp text can be (4,096 characters).
        String reply = "I will come at ".repeat(272) + "five.";
        assertThat(reply).hasSize(4085);
        awaitFirstMessageSent(journey);

        postInboundText(texter, reply);

        awaitEnded(journey);
        assertThat(steps(journey)).containsExactly("send", "reply:any_text", "check:true", "text", "end");
        JsonNode row = api.get("/api/v1/flows/" + flow + "/reports").json().path(0);
        assertThat(row.path("status").asString()).isEqualTo("text: " + reply);
        assertThat(row.path("description").asString()).isEqualTo(reply);
        String condition = outcome(journey, 2);
        assertThat(condition).hasSize(2000).startsWith("'I will come at I will come at").endsWith("…");
    }

    @Test
    void aStepWhoseWriteGoesPastALimitOfPostgreSqlFailsItsJourneyInsteadOfBeingTriedAgainAtOnceForEver() {
        Assumptions.assumeTrue(TestDatabase.postgres(),
                "PostgreSQL's program limits (H2 has no limit on an index entry's size)");
        // An index's entry holds at most 2,704 bytes: 3,000 that do not compress do not fit. Spring takes the limit
        // (SQLState 54000) for a resource failure, which passes: the journey was tried again at once, for ever.
        aJourneyWhoseReportTheDatabaseRefusesFailsAtItsFirstStep("CREATE INDEX reach_test_limit ON report_rows (status)",
                "DROP INDEX reach_test_limit", incompressible(1_000), "index row size");
    }

    @Test
    void aStepWhoseWritesTheDatabaseRefusesFailsItsJourneyWithTheRefusalInsteadOfTryingForEver() {
        // Without the rule, the refused journey would stay running and be tried again every lease (a minute).
        aJourneyWhoseReportTheDatabaseRefusesFailsAtItsFirstStep("ALTER TABLE report_rows ADD CONSTRAINT reach_test_refusal"
                        + " CHECK (status <> 'refused by the database')", "ALTER TABLE report_rows DROP CONSTRAINT reach_test_refusal",
                "refused by the database", "reach_test_refusal");
    }

    /**
     * A flow that tags its contact and adds a report row of the journey's {@code verdict}, with the database made to
     * refuse {@code refusedVerdict} by {@code refusal} (undone by {@code undo}): that journey fails, its error naming
     * the step and {@code named}, while one of another verdict ends.
     */
    private void aJourneyWhoseReportTheDatabaseRefusesFailsAtItsFirstStep(String refusal, String undo, String refusedVerdict,
                                                                          String named) {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"tag","steps":[
                 {"id":"tag","type":"add_tag","tag":"refusal-test","next":"report"},
                 {"id":"report","type":"add_report_row","status":"{{verdict}}","next":"end"},
                 {"id":"end","type":"end"}]}""");
        jdbc.sql(refusal).update();
        try {
            String refused = start(flow, contact(), Map.of("verdict", refusedVerdict));
            String accepted = start(flow, contact(), Map.of("verdict", "accepted"));

            await().atMost(PATIENCE).untilAsserted(() -> assertThat(state(refused)).isEqualTo("FAILED"));
            awaitEnded(accepted);
            JsonNode failed = api.get("/api/v1/journeys/" + refused).json();
            assertThat(failed.path("error").asString()).startsWith("step report: the database refused what it wrote")
                    .containsIgnoringCase(named);
            // The refused transaction took the tag and the report together: the journey failed where it began.
            assertThat(failed.path("currentStep").asString()).isEqualTo("tag");
            assertThat(api.get("/api/v1/flows/" + flow + "/reports").json()).hasSize(1);
        } finally {
            jdbc.sql(undo).update();
        }
    }

    /** {@code length} CJK ideographs, none repeated: three bytes each in UTF-8 that PostgreSQL cannot compress. */
    private static String incompressible(int length) {
        return IntStream.range(0, length).map(i -> 0x4E00 + i * 7 % 20_000)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    }

    @Test
    void branchesOnBlockedAndNamesTheMissingPlaceholder() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"send","steps":[
                 {"id":"send","type":"send_sms","sender":"sandbox-sms","category":"utility",
                  "text":"Your code is {{code}}","next":"status"},
                 {"id":"status","type":"branch_on_status","message":"send",
                  "branches":{"delivered":"end","blocked":"blocked"}},
                 {"id":"blocked","type":"add_report_row","status":"blocked","next":"end"},
                 {"id":"end","type":"end"}]}""");
        String missing = start(flow, contact(), Map.of());
        String optedOut = Fixtures.contact(api, nextPhone("1"), Map.of("utility", true), true).path("phone").asString();
        String refused = start(flow, optedOut, Map.of("code", "1234"));
        String fine = start(flow, contact(), Map.of("code", "1234"));

        awaitEnded(missing);
        awaitEnded(refused);
        awaitEnded(fine);
        assertThat(steps(missing)).containsExactly("send", "status:blocked", "blocked", "end");
        assertThat(outcome(missing, 0)).isEqualTo("blocked: missing variable: {{code}} has no value and no default");
        assertThat(steps(refused)).containsExactly("send", "status:blocked", "blocked", "end");
        assertThat(outcome(refused, 0)).contains("opted out");
        assertThat(steps(fine)).containsExactly("send", "status:delivered", "end");
    }

    @Test
    void sendsFreeFormTextOnlyInsideTheCustomerServiceWindow() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"say","steps":[
                 {"id":"say","type":"send_text","sender":"sandbox","text":"Thanks {{contact.first_name | default: there}}!",
                  "next":"status"},
                 {"id":"status","type":"branch_on_status","message":"say","timeout":"PT1H",
                  "branches":{"sent":"end","blocked":"outside","timeout":"end"}},
                 {"id":"outside","type":"add_report_row","status":"outside the window","next":"end"},
                 {"id":"end","type":"end"}]}""");
        String wrote = contact("1");
        postInboundText(wrote, "Hello?");
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/inbound-messages?contactId=" + contactByPhone(wrote)
                .path("id").asString()).json().size() == 1);

        String inside = start(flow, wrote, Map.of());
        String outside = start(flow, contact("1"), Map.of());

        awaitEnded(inside);
        awaitEnded(outside);
        assertThat(steps(inside)).containsExactly("say", "status:sent", "end");
        assertThat(steps(outside)).containsExactly("say", "status:blocked", "outside", "end");
        assertThat(outcome(outside, 0)).contains("24-hour window");
    }

    @Test
    void aStatusOfAnEarlierMessageNeverDecidesTheStepTheJourneyMovedOnTo() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"first","steps":[
                 {"id":"first","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
                  "headerParameters":["X"],"bodyParameters":["A","X"],"next":"first_status"},
                 {"id":"first_status","type":"branch_on_status","message":"first","timeout":"PT10M",
                  "branches":{"failed":"end","timeout":"second"}},
                 {"id":"second","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
                  "headerParameters":["Y"],"bodyParameters":["B","Y"],"next":"second_status"},
                 {"id":"second_status","type":"branch_on_status","message":"second","timeout":"PT1H",
                  "branches":{"failed":"end","timeout":"end"}},
                 {"id":"end","type":"end"}]}""");
        // A handset whose WhatsApp messages get no status at all.
        String journey = start(flow, contact("7"), Map.of());
        await().atMost(PATIENCE).until(() -> "first_status".equals(current(journey)) && "WAITING".equals(state(journey)));
        clock.advance(Duration.ofMinutes(10).plusSeconds(1));
        await().atMost(PATIENCE).until(() -> "second_status".equals(current(journey)) && "WAITING".equals(state(journey)));
        JsonNode path = api.get("/api/v1/journeys/" + journey + "/path").json();
        UUID first = UUID.fromString(path.path(0).path("messageId").asString());
        UUID second = UUID.fromString(path.path(2).path("messageId").asString());
        UUID id = UUID.fromString(journey);

        // A "failed" of the first message, looked up while the journey still waited on it, lands after it moved on.
        assertThat(store.decideStatuses(List.of(new JourneyStore.StatusDecision(id, first, "failed")))).isZero();
        assertThat(api.get("/api/v1/journeys/" + journey).json().path("decision").isMissingNode()).isTrue();
        assertThat(store.decideStatuses(List.of(new JourneyStore.StatusDecision(id, second, "failed")))).isEqualTo(1);
        awaitEnded(journey);
        assertThat(steps(journey)).containsExactly("first", "first_status:timeout", "second", "second_status:failed", "end");
    }

    @Test
    void aReportRowShowsItsMessagesLaterStatusWhileTheJourneyKeepsTheBranchItTook() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"before","steps":[
                 {"id":"before","type":"add_report_row","status":"started","next":"send"},
                 {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
                  "headerParameters":["X"],"bodyParameters":["A","X"],"next":"status"},
                 {"id":"status","type":"branch_on_status","message":"send","timeout":"PT10M",
                  "branches":{"failed":"lost","delivered":"reached","timeout":"end"}},
                 {"id":"lost","type":"add_report_row","status":"whatsapp failed","next":"end"},
                 {"id":"reached","type":"add_report_row","status":"whatsapp delivered","next":"end"},
                 {"id":"end","type":"end"}]}""");
        // A multi-device user: Meta reports the message failed, then delivered on another device.
        String journey = start(flow, contact("9"), Map.of());

        awaitEnded(journey);
        String messageId = api.get("/api/v1/journeys/" + journey + "/path").json().path(1).path("messageId").asString();
        await().atMost(PATIENCE).until(() -> Fixtures.timeline(api, messageId).contains("delivered"));

        assertThat(steps(journey)).containsExactly("before", "send", "status:failed", "lost", "end");
        JsonNode rows = api.get("/api/v1/flows/" + flow + "/reports").json();
        assertThat(rows).hasSize(2);
        assertThat(rows.path(0).path("status").asString()).isEqualTo("started");
        assertThat(rows.path(0).has("messageId")).isFalse();
        assertThat(rows.path(0).has("messageStatus")).isFalse();
        assertThat(rows.path(1).path("status").asString()).isEqualTo("whatsapp failed");
        assertThat(rows.path(1).path("messageId").asString()).isEqualTo(messageId);
        assertThat(rows.path(1).path("messageStatus").asString()).isEqualTo("delivered");
    }

    @Test
    void aReportRowNamesTheMessageItsStepNamesAndOtherwiseTheJourneysLast() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"send","steps":[
                 {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
                  "headerParameters":["X"],"bodyParameters":["A","X"],"next":"status"},
                 {"id":"status","type":"branch_on_status","message":"send","branches":{"failed":"sms","delivered":"end"}},
                 {"id":"sms","type":"send_sms","sender":"sandbox-sms","text":"Order X is ready","category":"utility","next":"sms_status"},
                 {"id":"sms_status","type":"branch_on_status","message":"sms","branches":{"delivered":"about_whatsapp","failed":"end"}},
                 {"id":"about_whatsapp","type":"add_report_row","message":"send","status":"whatsapp failed","next":"last"},
                 {"id":"last","type":"add_report_row","status":"sms delivered","next":"end"},
                 {"id":"end","type":"end"}]}""");
        // Not on WhatsApp, and the SMS is delivered.
        String journey = start(flow, contact("4"), Map.of());

        awaitEnded(journey);
        JsonNode path = api.get("/api/v1/journeys/" + journey + "/path").json();
        String whatsApp = path.path(0).path("messageId").asString();
        String sms = path.path(2).path("messageId").asString();
        JsonNode rows = api.get("/api/v1/flows/" + flow + "/reports").json();
        assertThat(rows).hasSize(2);
        assertThat(rows.path(0).path("messageId").asString()).isEqualTo(whatsApp);
        assertThat(rows.path(0).path("messageStatus").asString()).isEqualTo("failed");
        assertThat(rows.path(0).path("messageFrom").asString()).isEqualTo("sandbox");
        assertThat(rows.path(1).path("messageId").asString()).isEqualTo(sms);
        assertThat(rows.path(1).path("messageStatus").asString()).isEqualTo("delivered");
        assertThat(rows.path(1).path("messageFrom").asString()).isEqualTo("sandbox-sms");
    }

    @Test
    void aPromotionMetaDidNotDeliverBecauseTheContactStoppedPromotionsWithdrawsItsMarketingConsentAndBlocksItsSmsFallback() {
        String template = "spring_sale_" + FLOWS.incrementAndGet();
        Api.Response registered = api.post("/api/v1/templates", Map.of("name", template, "language", "en_US",
                "category", "marketing", "components", List.of(Map.of("type", "BODY", "text", "Spring sale: 20% off."))));
        assertThat(registered.status()).as(registered.body()).isEqualTo(201);
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"send","steps":[
                 {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"%s","language":"en_US","next":"status"},
                 {"id":"status","type":"branch_on_status","message":"send","branches":{"failed":"sms","delivered":"end"}},
                 {"id":"sms","type":"send_sms","sender":"sandbox-sms","text":"Spring sale: 20%% off.","category":"marketing",
                  "next":"end"},
                 {"id":"end","type":"end"}]}""", template);
        // Meta fails the promotion with 131050 in its status webhook, or refuses it at once.
        String failedLater = contact("0");
        String refusedAtOnce = "+3161310" + String.format("%04d", NUMBERS.incrementAndGet());
        Fixtures.contact(api, refusedAtOnce, Map.of("utility", true, "marketing", true), false);

        for (String phone : List.of(failedLater, refusedAtOnce)) {
            String journey = awaitEnded(start(flow, phone, Map.of()));

            JsonNode path = api.get("/api/v1/journeys/" + journey + "/path").json();
            JsonNode promotion = api.get("/api/v1/messages/" + path.path(0).path("messageId").asString()).json();
            assertThat(promotion.path("status").asString()).as(promotion.toString()).isEqualTo("failed");
            assertThat(promotion.path("error").path("code").asInt()).isEqualTo(131050);
            JsonNode sms = api.get("/api/v1/messages/" + path.path(2).path("messageId").asString()).json();
            assertThat(sms.path("status").asString()).as(phone + ": " + sms).isEqualTo("blocked");
            assertThat(sms.path("blockedReason").asString()).startsWith("no consent");
            JsonNode consent = contactByPhone(phone).path("consent");
            assertThat(consent.path("marketing").asBoolean()).as(consent.toString()).isFalse();
            assertThat(consent.path("utility").asBoolean()).isTrue();
        }
    }

    @Test
    void aContactWhoRepliedStopToTheTwilioNumberIsOptedOutWhenTwilioRefusesItsSmsSoItsCallFallbackIsBlocked() {
        if (api.get("/api/v1/senders/sandbox-twilio-sms").status() == 404) {
            Api.Response created = api.post("/api/v1/senders", Map.of("name", "sandbox-twilio-sms", "channel", "sms",
                    "provider", "twilio", "fromAddress", "+14155552600", "secret", "sandbox-twilio-auth-token", "settings",
                    Map.of("accountSid", "AC00000000000000000000000000000000", "baseUrl",
                            "http://127.0.0.1:" + sandbox.twilioPort())));
            assertThat(created.status()).as(created.body()).isIn(201, 409);
        }
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"send","steps":[
                 {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
                  "headerParameters":["X"],"bodyParameters":["A","X"],"next":"status"},
                 {"id":"status","type":"branch_on_status","message":"send","branches":{"failed":"sms","delivered":"end"}},
                 {"id":"sms","type":"send_sms","sender":"sandbox-twilio-sms","text":"Order X is ready","category":"utility",
                  "next":"sms_status"},
                 {"id":"sms_status","type":"branch_on_status","message":"sms","branches":{"failed":"call","delivered":"end"}},
                 {"id":"call","type":"voice_call","sender":"sandbox-voice","category":"utility","language":"en-US",
                  "text":"Order X is ready","next":"end"},
                 {"id":"end","type":"end"}]}""");
        // Not on WhatsApp, and replied STOP to the Twilio number (a STOP Reach never saw): Twilio refuses its SMS.
        String phone = "+3161320" + String.format("%04d", NUMBERS.incrementAndGet());
        Fixtures.contact(api, phone, Map.of("utility", true, "marketing", true), false);

        JsonNode path = api.get("/api/v1/journeys/" + awaitEnded(start(flow, phone, Map.of())) + "/path").json();

        JsonNode sms = api.get("/api/v1/messages/" + path.path(2).path("messageId").asString()).json();
        assertThat(sms.path("status").asString()).as(sms.toString()).isEqualTo("failed");
        assertThat(sms.path("error").path("code").asInt()).isEqualTo(21610);
        JsonNode call = api.get("/api/v1/messages/" + path.path(4).path("messageId").asString()).json();
        assertThat(call.path("channel").asString()).as(call.toString()).isEqualTo("voice");
        assertThat(call.path("status").asString()).isEqualTo("blocked");
        assertThat(call.path("blockedReason").asString()).isEqualTo(Recipients.OPTED_OUT);
        assertThat(contactByPhone(phone).path("optedOut").asBoolean()).isTrue();
    }

    @Test
    void refusesToStartAJourneyOrTakeAnEventForAnUnknownContactAndStartsNothing() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"end","steps":[{"id":"end","type":"end"}]}""");

        Api.Response byPhone = api.post("/api/v1/flows/" + flow + "/journeys", Map.of("to", "+31612999999"));
        Api.Response byId = api.post("/api/v1/flows/" + flow + "/journeys",
                Map.of("contactId", "00000000-0000-0000-0000-000000000001"));
        Api.Response event = api.post("/api/v1/events", Map.of("name", "nobody_listens", "to", "+31612999999"));

        assertThat(byPhone.status()).isEqualTo(404);
        assertThat(byPhone.json().path("error").asString()).isEqualTo("contact_not_found");
        assertThat(byPhone.json().path("details").path(0).path("field").asString()).isEqualTo("to");
        assertThat(byId.status()).isEqualTo(404);
        assertThat(byId.json().path("details").path(0).path("field").asString()).isEqualTo("contactId");
        assertThat(event.status()).isEqualTo(404);
        assertThat(api.get("/api/v1/flows/" + flow + "/journeys").json()).isEmpty();
    }

    @Test
    void refusesABlankOrOverlongKeyAndStartsNothing() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"end","steps":[{"id":"end","type":"end"}]}""");
        String phone = contact();

        Api.Response overlong = api.post("/api/v1/flows/" + flow + "/journeys", Map.of("to", phone, "key", "k".repeat(151)));
        Api.Response blank = api.post("/api/v1/flows/" + flow + "/journeys", Map.of("to", phone, "key", " "));
        Api.Response event = api.post("/api/v1/events", Map.of("name", "order_ready", "to", phone, "key", "k".repeat(151)));
        Api.Response longest = api.post("/api/v1/flows/" + flow + "/journeys", Map.of("to", phone, "key", "k".repeat(150)));

        for (Api.Response refused : List.of(overlong, blank, event)) {
            assertThat(refused.status()).as(refused.body()).isEqualTo(400);
            assertThat(refused.json().path("details").path(0).path("field").asString()).isEqualTo("key");
        }
        assertThat(longest.status()).as(longest.body()).isEqualTo(201);
        assertThat(api.get("/api/v1/flows/" + flow + "/journeys").json()).hasSize(1);
    }

    @Test
    void refusesMoreVariablesOrPropertiesThanAJourneyKeepsOrOverlongOnesAndStartsNothing() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"end","steps":[{"id":"end","type":"end"}]}""");
        String phone = contact();
        Map<String, String> tooMany = new HashMap<>();
        for (int i = 0; i <= Journeys.MAX_GIVEN; i++) {
            tooMany.put("v" + i, "x");
        }
        Map<String, String> mostAllowed = new HashMap<>(tooMany);
        mostAllowed.remove("v0");
        mostAllowed.put("v1", "x".repeat(Journeys.MAX_GIVEN_VALUE));

        List<Api.Response> refused = List.of(
                api.post("/api/v1/flows/" + flow + "/journeys", Map.of("to", phone, "variables", tooMany)),
                api.post("/api/v1/flows/" + flow + "/journeys", Map.of("to", phone, "variables",
                        Map.of("order", "x".repeat(Journeys.MAX_GIVEN_VALUE + 1)))),
                api.post("/api/v1/flows/" + flow + "/journeys", Map.of("to", phone, "variables", Map.of("n".repeat(101), "x"))),
                api.post("/api/v1/events", Map.of("name", "order_ready", "to", phone, "properties", tooMany)),
                api.post("/api/v1/events", Map.of("name", "order_ready", "to", phone, "properties",
                        Map.of("order_id", "x".repeat(Journeys.MAX_GIVEN_VALUE + 1)))));
        List<String> fields = refused.stream().map(r -> {
            assertThat(r.status()).as(r.body()).isEqualTo(400);
            return r.json().path("details").path(0).path("field").asString();
        }).toList();
        assertThat(fields).containsExactly("variables", "variables.order", "variables." + "n".repeat(39) + "…",
                "properties", "properties.order_id");
        assertThat(api.get("/api/v1/flows/" + flow + "/journeys").json()).isEmpty();

        Api.Response most = api.post("/api/v1/flows/" + flow + "/journeys", Map.of("to", phone, "variables", mostAllowed));
        assertThat(most.status()).as(most.body()).isEqualTo(201);
        assertThat(api.post("/api/v1/events", Map.of("name", "no_flow_listens", "to", phone, "properties", mostAllowed))
                .status()).isEqualTo(202);
    }

    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void launchesItsAudienceByTagsAttributesAndConsentNeverTheOptedOutAndNobodyTwice(
            CapturedOutput output) {
        String tag = "audience-" + FLOWS.incrementAndGet();
        String flow = publish("""
                {"name":"%s","entry":{"type":"audience","audience":{"tags":["%s"],"attributes":{"city":"Utrecht"},"consent":"utility"}},
                 "start":"report","steps":[
                 {"id":"report","type":"add_report_row","status":"launched","description":"{{contact.phone}}","next":"end"},
                 {"id":"end","type":"end"}]}""", tag);
        String member = audienceContact(tag, "Utrecht", true, false);
        audienceContact(tag, "Amsterdam", true, false);
        audienceContact(tag, "Utrecht", false, false);
        audienceContact(tag, "Utrecht", true, true);
        audienceContact("someone-else", "Utrecht", true, false);

        JsonNode first = FlowFixtures.launch(api, flow);
        JsonNode again = FlowFixtures.launch(api, flow);
        String latecomer = audienceContact(tag, "Utrecht", true, false);
        JsonNode third = FlowFixtures.launch(api, flow);

        assertThat(first.path("started").asInt()).as(first.toString()).isEqualTo(1);
        assertThat(first.path("audienceSize").asInt()).isEqualTo(1);
        assertThat(first.path("taken").asInt()).isEqualTo(1);
        assertThat(again.path("started").asInt()).as(again.toString()).isZero();
        assertThat(again.path("taken").asInt()).isEqualTo(1);
        assertThat(third.path("started").asInt()).as(third.toString()).isEqualTo(1);
        assertThat(third.path("taken").asInt()).isEqualTo(2);
        assertThat(api.get("/api/v1/flows/" + flow + "/launches").json()).extracting(launch -> launch.path("id").asString())
                .containsExactly(third.path("id").asString(), again.path("id").asString(), first.path("id").asString());
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(api.get("/api/v1/flows/" + flow + "/reports").json()).hasSize(2));
        List<String> reached = new ArrayList<>();
        api.get("/api/v1/flows/" + flow + "/reports").json().forEach(row -> reached.add(row.path("description").asString()));
        assertThat(reached).containsExactlyInAnyOrder(member, latecomer);
        assertThat(api.get("/api/v1/flows/" + flow + "/journeys").json()).hasSize(2);
        assertThat(output.getOut()).contains("Launching flow step-test-").contains(": 1 contacts in its audience")
                .contains(": 0 journeys started for 1 contacts (1 had one already)");
    }

    @Test
    void launchesItsAudienceWithoutTheContactsOfAnExcludedTag() {
        String tag = "audience-" + FLOWS.incrementAndGet();
        String bought = "bought-" + FLOWS.get();
        // The tags as a hand may write them, with spaces around: a contact's tags are kept without them.
        String flow = publish("""
                {"name":"%s","entry":{"type":"audience","audience":{"tags":[" %s "],"excludeTags":["%s ","unsubscribed"]}},
                 "start":"report","steps":[
                 {"id":"report","type":"add_report_row","status":"launched","description":"{{contact.phone}}","next":"end"},
                 {"id":"end","type":"end"}]}""", tag, bought);
        String member = audienceContact(tag, "Utrecht", true, false);
        for (List<String> tags : List.of(List.of(tag, bought), List.of(tag, "unsubscribed"), List.of(bought))) {
            Api.Response created = api.post("/api/v1/contacts", Map.of("phone", nextPhone("3"), "tags", tags));
            assertThat(created.status()).as(created.body()).isEqualTo(201);
        }

        JsonNode size = api.get("/api/v1/flows/" + flow + "/audience").json();
        JsonNode launch = FlowFixtures.launch(api, flow);

        assertThat(size.path("audienceSize").asLong()).as(size.toString()).isEqualTo(1);
        assertThat(size.path("version").asInt()).isEqualTo(1);
        assertThat(size.path("status").asString()).isEqualTo("published");
        assertThat(launch.path("audienceSize").asInt()).as(launch.toString()).isEqualTo(1);
        assertThat(launch.path("started").asInt()).isEqualTo(1);
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(api.get("/api/v1/flows/" + flow + "/reports").json())
                .singleElement().satisfies(row -> assertThat(row.path("description").asString()).isEqualTo(member)));
        // A draft's audience is counted before it is published; an earlier version's by its number.
        String document = api.get("/api/v1/flows/" + flow + "/versions/1/document").body();
        Api.Response draft = api.put("/api/v1/flows/" + flow + "/draft", document.replace(",\"unsubscribed\"", ""));
        assertThat(draft.status()).as(draft.body()).isEqualTo(200);
        JsonNode draftSize = api.get("/api/v1/flows/" + flow + "/audience").json();
        assertThat(draftSize.path("version").asInt()).as(draftSize.toString()).isEqualTo(2);
        assertThat(draftSize.path("status").asString()).isEqualTo("draft");
        assertThat(draftSize.path("audienceSize").asLong()).isEqualTo(2);
        assertThat(api.get("/api/v1/flows/" + flow + "/audience?version=1").json().path("audienceSize").asLong()).isEqualTo(1);
        assertThat(api.get("/api/v1/flows/" + flow + "/audience?version=3").status()).isEqualTo(404);
        assertThat(api.get("/api/v1/flows/" + flow + "/audience?version=two").status()).isEqualTo(400);
        String apiFlow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"end","steps":[{"id":"end","type":"end"}]}""");
        Api.Response notAnAudience = api.get("/api/v1/flows/" + apiFlow + "/audience");
        assertThat(notAnAudience.status()).isEqualTo(409);
        assertThat(notAnAudience.json().path("error").asString()).isEqualTo("wrong_entry");
    }

    @Test
    void aScheduledLaunchBeginsAtItsTimeWithItsAudienceCountedThenAndACancelledOneTakesNobody() {
        String tag = "scheduled-" + FLOWS.incrementAndGet();
        String flow = publish(REPORTING_AUDIENCE_FLOW, tag);
        String cancelled = publish(REPORTING_AUDIENCE_FLOW, tag);
        String other = publish(REPORTING_AUDIENCE_FLOW, "other-" + tag);
        String stopped = publish(REPORTING_AUDIENCE_FLOW, tag);
        String early = audienceContact(tag, "Utrecht", true, false);
        Instant at = clock.instant().plus(Duration.ofHours(2)).truncatedTo(ChronoUnit.SECONDS);

        Api.Response scheduled = api.post("/api/v1/flows/" + flow + "/launch", Map.of("at",
                at.atOffset(ZoneOffset.ofHours(1)).toString()));
        Api.Response toCancel = api.post("/api/v1/flows/" + cancelled + "/launch", Map.of("at", at.toString()));
        Api.Response ofStopped = api.post("/api/v1/flows/" + stopped + "/launch", Map.of("at", at.toString()));
        String late = audienceContact(tag, "Utrecht", true, false);
        // A text corrected after the scheduling goes out corrected: the launch takes the version published last.
        String corrected = api.get("/api/v1/flows/" + flow + "/versions/1/document").body().replace("\"launched\"", "\"corrected\"");
        assertThat(api.put("/api/v1/flows/" + flow + "/draft", corrected).status()).isEqualTo(200);
        assertThat(api.post("/api/v1/flows/" + flow + "/publish", "").status()).isEqualTo(200);
        assertThat(api.post("/api/v1/flows/" + stopped + "/stop", "").status()).isEqualTo(200);

        assertThat(scheduled.status()).as(scheduled.body()).isEqualTo(202);
        assertThat(scheduled.json().path("state").asString()).isEqualTo("SCHEDULED");
        assertThat(Instant.parse(scheduled.json().path("startsAt").asString())).isEqualTo(at);
        assertThat(scheduled.json().path("audienceSize").asInt()).isEqualTo(1);
        String launch = scheduled.json().path("id").asString();
        Api.Response cancel = api.post("/api/v1/launches/" + toCancel.json().path("id").asString() + "/cancel", "");
        assertThat(cancel.status()).as(cancel.body()).isEqualTo(200);
        assertThat(cancel.json().path("state").asString()).isEqualTo("CANCELLED");
        // Every flow's launches, by state: what is scheduled, what was cancelled.
        assertThat(Api.ids(api.get("/api/v1/launches?state=scheduled").json()))
                .contains(launch, ofStopped.json().path("id").asString()).doesNotContain(toCancel.json().path("id").asString());
        assertThat(Api.ids(api.get("/api/v1/launches?state=CANCELLED").json())).contains(toCancel.json().path("id").asString())
                .doesNotContain(launch);
        assertThat(Api.ids(api.get("/api/v1/launches").json())).contains(launch, toCancel.json().path("id").asString());
        assertThat(api.get("/api/v1/launches?state=asleep").status()).isEqualTo(400);
        // A launch of another flow done: the worker has had its turns, and the scheduled launch's time has not come.
        FlowFixtures.launch(api, other);
        assertThat(api.get("/api/v1/launches/" + launch).json().path("state").asString()).isEqualTo("SCHEDULED");
        assertThat(api.get("/api/v1/flows/" + flow + "/journeys").json()).isEmpty();

        clock.advance(Duration.ofHours(2));

        JsonNode done = FlowFixtures.awaitLaunch(api, launch, "DONE");
        assertThat(done.path("audienceSize").asInt()).as("counted again when it began").isEqualTo(2);
        assertThat(done.path("started").asInt()).isEqualTo(2);
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(api.get("/api/v1/flows/" + flow + "/reports").json()
                .findValuesAsString("description")).containsExactlyInAnyOrder(early, late));
        assertThat(api.get("/api/v1/flows/" + flow + "/reports").json().findValuesAsString("status"))
                .containsOnly("corrected");
        assertThat(FlowFixtures.awaitLaunch(api, ofStopped.json().path("id").asString(), "STOPPED").path("started").asInt())
                .isZero();
        FlowFixtures.launch(api, other);
        assertThat(api.get("/api/v1/launches/" + toCancel.json().path("id").asString()).json().path("state").asString())
                .isEqualTo("CANCELLED");
        assertThat(api.get("/api/v1/flows/" + cancelled + "/journeys").json()).isEmpty();
        Api.Response over = api.post("/api/v1/launches/" + launch + "/cancel", "");
        assertThat(over.status()).as(over.body()).isEqualTo(409);
        assertThat(over.json().path("error").asString()).isEqualTo("launch_over");
        // A local time in a time zone: the zone's offset on that day.
        ZonedDateTime inAmsterdam = clock.instant().plus(Duration.ofDays(200)).truncatedTo(ChronoUnit.SECONDS)
                .atZone(ZoneId.of("Europe/Amsterdam"));
        Api.Response zoned = api.post("/api/v1/flows/" + cancelled + "/launch", Map.of("at",
                inAmsterdam.toLocalDateTime() + "[Europe/Amsterdam]"));
        assertThat(zoned.status()).as(zoned.body()).isEqualTo(202);
        assertThat(Instant.parse(zoned.json().path("startsAt").asString())).isEqualTo(inAmsterdam.toInstant());
        assertThat(api.post("/api/v1/launches/" + zoned.json().path("id").asString() + "/cancel", "").status()).isEqualTo(200);
        // A time that is past, not an instant, in no zone, or more than a year ahead launches nothing.
        for (String refused : List.of(clock.instant().minusSeconds(1).toString(), "tomorrow at nine", "2026-12-24T09:00:00",
                "2026-12-24T09:00:00[Mars/Olympus_Mons]", "2027-02-30T09:00:00Z", clock.instant().plus(Duration.ofDays(400)).toString())) {
            Api.Response answer = api.post("/api/v1/flows/" + flow + "/launch", Map.of("at", refused));
            assertThat(answer.status()).as(refused + ": " + answer.body()).isEqualTo(400);
            assertThat(answer.body()).contains("at");
        }
        assertThat(api.get("/api/v1/flows/" + flow + "/launches").json()).hasSize(1);
    }

    @Test
    void aScheduledLaunchNoNodeCouldBeginByItsNotAfterIsRefusedRatherThanGoOutLate() {
        String tag = "not-after-" + FLOWS.incrementAndGet();
        String tooLate = publish(REPORTING_AUDIENCE_FLOW, tag);
        String inTime = publish(REPORTING_AUDIENCE_FLOW, tag);
        audienceContact(tag, "Utrecht", true, false);
        Instant at = clock.instant().plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS);
        Api.Response bounded = api.post("/api/v1/flows/" + tooLate + "/launch", Map.of("at", at.toString(),
                "notAfter", at.plus(Duration.ofMinutes(30)).toString()));
        Api.Response roomy = api.post("/api/v1/flows/" + inTime + "/launch", Map.of("at", at.toString(),
                "notAfter", at.plus(Duration.ofHours(5)).toString()));
        assertThat(bounded.status()).as(bounded.body()).isEqualTo(202);
        assertThat(Instant.parse(bounded.json().path("notAfter").asString())).isEqualTo(at.plus(Duration.ofMinutes(30)));
        assertThat(roomy.status()).as(roomy.body()).isEqualTo(202);
        // A bound for a launch now, or one not after its at, launches nothing.
        for (Map<String, String> refused : List.of(Map.of("notAfter", at.toString()),
                Map.of("at", at.toString(), "notAfter", at.toString()), Map.of("at", at.toString(), "notAfter", "soon"))) {
            Api.Response answer = api.post("/api/v1/flows/" + tooLate + "/launch", refused);
            assertThat(answer.status()).as(refused + ": " + answer.body()).isEqualTo(400);
            assertThat(answer.json().path("details").path(0).path("field").asString()).isEqualTo("notAfter");
        }

        double refusedBefore = refusedLaunches("too_late");

        // The nodes were down from before its time until two hours after it.
        clock.advance(Duration.ofHours(3));

        JsonNode refused = FlowFixtures.awaitLaunch(api, bounded.json().path("id").asString(), "REFUSED");
        assertThat(refused.path("reason").asString()).as(refused.toString()).isEqualTo("Its time, " + at + ", passed while no"
                + " node could begin it, and it was to begin by " + at.plus(Duration.ofMinutes(30)) + " at the latest: the"
                + " launch took nobody");
        assertThat(refusedLaunches("too_late", refusedBefore + 1)).isEqualTo(refusedBefore + 1);
        assertThat(api.get("/api/v1/flows/" + tooLate + "/journeys").json()).isEmpty();
        assertThat(FlowFixtures.awaitLaunch(api, roomy.json().path("id").asString(), "DONE").path("started").asInt())
                .isEqualTo(1);
        assertThat(api.get("/api/v1/flows/" + tooLate + "/launches").json()).hasSize(1);
    }

    @Test
    void aScheduledLaunchWhoseFlowWasPublishedSinceToStartOnAnotherEntryIsRefusedAndTakesNobody() {
        String tag = "entry-changed-" + FLOWS.incrementAndGet();
        String flow = publish(REPORTING_AUDIENCE_FLOW, tag);
        audienceContact(tag, "Utrecht", true, false);
        audienceContact("not-" + tag, "Utrecht", true, false);
        Api.Response scheduled = api.post("/api/v1/flows/" + flow + "/launch",
                Map.of("at", clock.instant().plus(Duration.ofHours(1)).toString()));
        assertThat(scheduled.status()).as(scheduled.body()).isEqualTo(202);
        // The flow's next version starts through the API: its document has no audience to take.
        String apiEntry = api.get("/api/v1/flows/" + flow + "/versions/1/document").body()
                .replace("{\"type\":\"audience\",\"audience\":{\"tags\":[\"" + tag + "\"]}}", "{\"type\":\"api\"}");
        Api.Response draft = api.put("/api/v1/flows/" + flow + "/draft", apiEntry);
        assertThat(draft.status()).as(draft.body()).isEqualTo(200);
        assertThat(draft.json().path("entryType").asString()).isEqualTo("api");
        assertThat(api.post("/api/v1/flows/" + flow + "/publish", "").status()).isEqualTo(200);
        double refusedBefore = refusedLaunches("not_an_audience");

        clock.advance(Duration.ofHours(1));

        JsonNode refused = FlowFixtures.awaitLaunch(api, scheduled.json().path("id").asString(), "REFUSED");
        assertThat(refusedLaunches("not_an_audience", refusedBefore + 1)).isEqualTo(refusedBefore + 1);
        assertThat(refused.path("reason").asString()).as(refused.toString()).isEqualTo("Flow " + api.get("/api/v1/flows/"
                + flow).json().path("name").asString() + " version 2, published last, starts on api, not on an audience:"
                + " the launch took nobody");
        assertThat(refused.path("taken").asLong()).isZero();
        assertThat(api.get("/api/v1/flows/" + flow + "/journeys").json()).isEmpty();
    }

    /** This node's count of the scheduled launches it refused for {@code cause}. */
    private double refusedLaunches(String cause) {
        return api.metrics().get("reach_launches_refused_total{cause=\"" + cause + "\"}");
    }

    /** The count of {@link #refusedLaunches(String)} once it is {@code expected} (counted just after the refusal commits). */
    private double refusedLaunches(String cause, double expected) {
        String series = "reach_launches_refused_total{cause=\"" + cause + "\"}";
        return api.metricsOnce(metrics -> metrics.get(series) == expected).get(series);
    }

    @Test
    void launchesItsAudienceByLastActivityCountedBackFromTheLaunch() {
        String tag = "activity-" + FLOWS.incrementAndGet();
        String dormant = audienceContact(tag, "Utrecht", true, false);
        String never = audienceContact(tag, "Utrecht", true, false);
        String recent = audienceContact(tag, "Utrecht", true, false);
        postInboundText(dormant, "hello, long ago");
        await().atMost(PATIENCE).until(() -> contactByPhone(dormant).has("lastActiveAt"));
        clock.advance(Duration.ofDays(40));
        Instant wrote = clock.instant();
        postInboundText(recent, "hello again");
        await().atMost(PATIENCE).until(() -> contactByPhone(recent).has("lastActiveAt"));
        String audience = """
                {"name":"%s","entry":{"type":"audience","audience":{"tags":["%s"],"%s":"P30D"}},"start":"report","steps":[
                 {"id":"report","type":"add_report_row","status":"launched","description":"{{contact.phone}}","next":"end"},
                 {"id":"end","type":"end"}]}""";
        String active = publish(audience, tag, "activeWithin");
        String inactive = publish(audience, tag, "inactiveFor");

        assertThat(FlowFixtures.launch(api, active).path("started").asInt()).isEqualTo(1);
        assertThat(FlowFixtures.launch(api, inactive).path("started").asInt()).isEqualTo(2);

        assertThat(Instant.parse(contactByPhone(recent).path("lastActiveAt").asString()))
                .isEqualTo(wrote.truncatedTo(ChronoUnit.SECONDS));
        assertThat(contactByPhone(never).has("lastActiveAt")).isFalse();
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(reportedPhones(active)).containsExactly(recent));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(reportedPhones(inactive)).containsExactlyInAnyOrder(dormant, never));
    }

    private List<String> reportedPhones(String flow) {
        List<String> phones = new ArrayList<>();
        api.get("/api/v1/flows/" + flow + "/reports").json().forEach(row -> phones.add(row.path("description").asString()));
        return phones;
    }

    /** Two flows that wait a day: one started through the API, one on an event of its own; for tests of keys. */
    private record WaitingADayOnKeys(String flow, String event) {}

    private WaitingADayOnKeys waitingADayOnKeys() {
        String waitThenEnd = """
                {"name":"%s","entry":%s,"start":"pause","steps":[
                 {"id":"pause","type":"wait","duration":"P1D","next":"end"},
                 {"id":"end","type":"end"}]}""";
        String flow = publish(waitThenEnd, "{\"type\":\"api\"}");
        String event = "key-test-" + FLOWS.incrementAndGet();
        publish(waitThenEnd, "{\"type\":\"event\",\"event\":\"" + event + "\"}");
        return new WaitingADayOnKeys(flow, event);
    }

    @Test
    void aKeyThatStartedAnotherContactsJourneyIsRefusedAndStartsNothingForThisContact() {
        WaitingADayOnKeys keyed = waitingADayOnKeys();
        String flow = keyed.flow();
        String event = keyed.event();
        String first = contact();
        String other = contact();
        Api.Response started = api.post("/api/v1/flows/" + flow + "/journeys", Map.of("to", first, "key", "order-7"));
        Api.Response posted = api.post("/api/v1/events", Map.of("name", event, "to", first, "key", "order-7"));
        assertThat(started.status()).as(started.body()).isEqualTo(201);
        assertThat(posted.json().path("journeys")).hasSize(1);

        // The same keys for another contact: a mistake on the caller's side, not a repeat of the calls above.
        Api.Response reusedStart = api.post("/api/v1/flows/" + flow + "/journeys", Map.of("to", other, "key", "order-7"));
        Api.Response reusedEvent = api.post("/api/v1/events", Map.of("name", event, "to", other, "key", "order-7"));

        for (Api.Response reused : List.of(reusedStart, reusedEvent)) {
            assertThat(reused.status()).as(reused.body()).isEqualTo(409);
            assertThat(reused.json().path("error").asString()).isEqualTo("key_reused");
            assertThat(reused.json().path("details").path(0).path("field").asString()).isEqualTo("key");
        }
        assertThat(reusedStart.json().path("message").asString()).contains(started.json().path("journeyId").asString());
        String otherId = contactByPhone(other).path("id").asString();
        assertThat(api.get("/api/v1/journeys?contactId=" + otherId).json()).isEmpty();
        // A repeat for the contact the keys started journeys for is still answered with them.
        Api.Response repeated = api.post("/api/v1/events", Map.of("name", event, "to", first, "key", "order-7"));
        assertThat(repeated.json().path("journeys").path(0).path("journeyId").asString())
                .isEqualTo(posted.json().path("journeys").path(0).path("journeyId").asString());
        assertThat(repeated.json().path("journeys").path(0).path("replayed").asBoolean()).isTrue();
    }

    @Test
    void aKeyedStartOrEventSentSeveralTimesAtOnceStartsOneJourneyAndAnswersEachWithIt() {
        WaitingADayOnKeys keyed = waitingADayOnKeys();
        String flow = keyed.flow();
        String event = keyed.event();
        for (int round = 0; round < 4; round++) {
            String phone = contact();
            String key = "retried-" + round;
            // A backend's retries that overlap (a timeout on its side while Reach was still answering).
            List<Api.Response> starts = Api.atOnce(6, () -> api.post("/api/v1/flows/" + flow + "/journeys",
                    Map.of("to", phone, "key", key)));
            List<Api.Response> events = Api.atOnce(6, () -> api.post("/api/v1/events",
                    Map.of("name", event, "to", phone, "key", key)));

            assertThat(starts).extracting(Api.Response::status).as(starts.toString()).containsOnly(200, 201);
            assertThat(starts).filteredOn(started -> started.status() == 201).hasSize(1);
            assertThat(starts).extracting(started -> started.json().path("journeyId").asString()).doesNotContain("")
                    .containsOnly(starts.getFirst().json().path("journeyId").asString());
            assertThat(events).extracting(Api.Response::status).as(events.toString()).containsOnly(202);
            assertThat(events).extracting(posted -> posted.json().path("journeys").size()).containsOnly(1);
            assertThat(events).filteredOn(posted -> !posted.json().path("journeys").path(0).path("replayed").asBoolean())
                    .hasSize(1);
            assertThat(events).extracting(posted -> posted.json().path("journeys").path(0).path("journeyId").asString())
                    .doesNotContain("").containsOnly(events.getFirst().json().path("journeys").path(0).path("journeyId").asString());
            String contactId = contactByPhone(phone).path("id").asString();
            assertThat(api.get("/api/v1/journeys?contactId=" + contactId).json()).as("one journey per flow").hasSize(2);
        }
        // One key sent for several contacts at once: the first takes it, the others are told it is taken.
        List<String> phones = List.of(contact(), contact(), contact(), contact());
        AtomicInteger next = new AtomicInteger();
        List<Api.Response> contending = Api.atOnce(phones.size(), () -> api.post("/api/v1/flows/" + flow + "/journeys",
                Map.of("to", phones.get(next.getAndIncrement()), "key", "contended")));
        assertThat(contending).extracting(Api.Response::status).as(contending.toString()).containsOnly(201, 409);
        assertThat(contending).filteredOn(answer -> answer.status() == 201).hasSize(1);
        assertThat(contending).filteredOn(answer -> answer.status() == 409)
                .extracting(answer -> answer.json().path("error").asString()).containsOnly("key_reused");
    }

    @Test
    void anEventThatStartsNoJourneySaysWhyNamingTheDraftThatWouldOrTheEventsPublishedFlowsStartOn() {
        String waitThenEnd = """
                {"name":"%s","entry":%s,"start":"pause","steps":[
                 {"id":"pause","type":"wait","duration":"P1D","next":"end"},{"id":"end","type":"end"}]}""";
        String event = "why-test-" + FLOWS.incrementAndGet();
        publish(waitThenEnd, "{\"type\":\"event\",\"event\":\"" + event + "\"}");
        String drafted = event + "-drafted";
        Api.Response draft = api.post("/api/v1/flows", waitThenEnd.formatted("step-test-" + FLOWS.incrementAndGet(),
                "{\"type\":\"event\",\"event\":\"" + drafted + "\"}"));
        assertThat(draft.status()).as(draft.body()).isEqualTo(201);
        String phone = contact();

        String typo = event.replace("why-test", "why-tset");
        Api.Response misspelt = api.post("/api/v1/events", Map.of("name", typo, "to", phone));
        Api.Response unpublished = api.post("/api/v1/events", Map.of("name", drafted, "to", phone));
        Api.Response started = api.post("/api/v1/events", Map.of("name", event, "to", phone));

        assertThat(misspelt.status()).isEqualTo(202);
        assertThat(misspelt.json().path("journeys")).isEmpty();
        assertThat(misspelt.json().path("whyNoJourney").asString()).as(misspelt.body())
                .startsWith("no published flow starts on event " + typo + ": did you mean " + event + "? (")
                .containsPattern("(start on |: )" + Pattern.quote(event) + "[,)]").doesNotContain(drafted);
        assertThat(unpublished.json().path("journeys")).isEmpty();
        assertThat(unpublished.json().path("whyNoJourney").asString()).as(unpublished.body())
                .contains("starts on event " + drafted + " only in its draft (version 1)",
                        "/api/v1/flows/" + draft.json().path("flowId").asString() + "/publish");
        assertThat(started.json().path("journeys")).hasSize(1);
        assertThat(started.json().has("whyNoJourney")).as(started.body()).isFalse();
    }

    @Test
    void aStoppedFlowStartsNoJourneyUntilResumedAndStoppingItWithItsJourneysCancelsThem() {
        String waitThenReport = """
                {"name":"%s","entry":%s,"start":"pause","steps":[
                 {"id":"pause","type":"wait","duration":"P1D","next":"report"},
                 {"id":"report","type":"add_report_row","status":"waited","description":"{{contact.phone}}","next":"end"},
                 {"id":"end","type":"end"}]}""";
        String flow = publish(waitThenReport, "{\"type\":\"api\"}");
        String control = publish(waitThenReport, "{\"type\":\"api\"}");
        String event = "stop-test-" + FLOWS.incrementAndGet();
        String onEvent = publish(waitThenReport, "{\"type\":\"event\",\"event\":\"" + event + "\"}");
        List<String> started = new ArrayList<>(List.of(start(flow, contact(), Map.of()), start(flow, contact(), Map.of())));
        String keyed = contact();
        Api.Response keyedStart = api.post("/api/v1/flows/" + flow + "/journeys", Map.of("to", keyed, "key", "order-1"));
        Api.Response keyedEvent = api.post("/api/v1/events", Map.of("name", event, "to", keyed, "key", "order-1"));
        started.add(keyedStart.json().path("journeyId").asString());

        Api.Response stopped = api.post("/api/v1/flows/" + flow + "/stop", "");
        Api.Response refused = api.post("/api/v1/flows/" + flow + "/journeys", Map.of("to", contact()));
        api.post("/api/v1/flows/" + onEvent + "/stop", "");
        String phone = contact();
        Api.Response skipped = api.post("/api/v1/events", Map.of("name", event, "to", phone));
        // Repeats of calls made before the stop still answer with what those calls started.
        Api.Response repeatedStart = api.post("/api/v1/flows/" + flow + "/journeys", Map.of("to", keyed, "key", "order-1"));
        Api.Response repeatedEvent = api.post("/api/v1/events", Map.of("name", event, "to", keyed, "key", "order-1"));

        assertThat(stopped.status()).as(stopped.body()).isEqualTo(200);
        assertThat(stopped.json().path("flow").path("stoppedAt").asString()).isNotEmpty();
        assertThat(stopped.json().has("cancellation")).as("a stop without cancelJourneys cancels nothing").isFalse();
        assertThat(api.get("/api/v1/flows/" + flow).json().path("stoppedAt").asString()).isNotEmpty();
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.json().path("error").asString()).isEqualTo("flow_stopped");
        assertThat(skipped.json().path("journeys")).isEmpty();
        assertThat(skipped.json().path("whyNoJourney").asString()).as("says why it started nothing").contains(
                "starts on event " + event + " but is stopped", "/api/v1/flows/" + onEvent + "/resume");
        assertThat(keyedEvent.json().has("whyNoJourney")).as(keyedEvent.body()).isFalse();
        assertThat(repeatedStart.status()).as(repeatedStart.body()).isEqualTo(200);
        assertThat(repeatedStart.json().path("journeyId").asString()).isEqualTo(keyedStart.json().path("journeyId").asString());
        assertThat(repeatedStart.json().path("replayed").asBoolean()).isTrue();
        assertThat(repeatedEvent.json().path("journeys")).hasSize(1);
        assertThat(repeatedEvent.json().path("journeys").path(0).path("journeyId").asString())
                .isEqualTo(keyedEvent.json().path("journeys").path(0).path("journeyId").asString());
        assertThat(repeatedEvent.json().path("journeys").path(0).path("replayed").asBoolean()).isTrue();
        assertThat(api.post("/api/v1/flows/" + onEvent + "/launch", "").status()).isEqualTo(409);

        assertThat(api.post("/api/v1/flows/" + flow + "/resume", "").status()).isEqualTo(200);
        assertThat(api.get("/api/v1/flows/" + flow).json().has("stoppedAt")).isFalse();
        started.add(start(flow, contact(), Map.of()));
        api.post("/api/v1/flows/" + onEvent + "/resume", "");
        assertThat(api.post("/api/v1/events", Map.of("name", event, "to", phone)).json().path("journeys")).hasSize(1);
        await().atMost(PATIENCE).until(() -> started.stream().allMatch(journey -> "WAITING".equals(state(journey))));

        // A misspelt parameter is refused, not ignored: the flow is not stopped with its journeys left running.
        Api.Response misspelt = api.post("/api/v1/flows/" + flow + "/stop?cancelJourney=true", "");
        assertThat(misspelt.status()).as(misspelt.body()).isEqualTo(400);
        assertThat(misspelt.json().path("details").path(0).path("field").asString()).isEqualTo("cancelJourney");
        assertThat(misspelt.json().path("message").asString()).contains("it takes cancelJourneys");
        assertThat(api.get("/api/v1/flows/" + flow).json().has("stoppedAt")).isFalse();

        Api.Response cancelled = api.post("/api/v1/flows/" + flow + "/stop?cancelJourneys=true", "");

        assertThat(cancelled.status()).as(cancelled.body()).isEqualTo(200);
        assertThat(cancelled.json().path("cancellation").path("state").asString()).isEqualTo("DONE");
        assertThat(cancelled.json().path("cancellation").path("cancelledJourneys").asInt()).isEqualTo(4);
        for (String journey : started) {
            JsonNode cancelledJourney = api.get("/api/v1/journeys/" + journey).json();
            assertThat(cancelledJourney.path("state").asString()).isEqualTo("CANCELLED");
            assertThat(cancelledJourney.path("endedAt").asString()).isNotEmpty();
            assertThat(steps(journey)).containsExactly("pause");
            assertThat(outcome(journey, 0)).isEqualTo("cancelled: flow " + api.get("/api/v1/flows/" + flow).json().path("name")
                    .asString() + " was stopped");
        }
        JsonNode counts = api.get("/api/v1/flows/" + flow + "/versions/1/counts").json();
        assertThat(counts.path("cancelled").asInt()).isEqualTo(4);
        assertThat(counts.path("waiting").asInt()).isZero();
        assertThat(api.get("/api/v1/flows/" + flow + "/journeys?state=cancelled").json()).hasSize(4);

        // A day later a journey of another flow, waiting the same day, has gone on; the cancelled ones have not.
        String controlJourney = start(control, contact(), Map.of());
        await().atMost(PATIENCE).until(() -> "WAITING".equals(state(controlJourney)));
        clock.advance(Duration.ofDays(1).plusMinutes(1));
        awaitEnded(controlJourney);
        assertThat(api.get("/api/v1/flows/" + flow + "/reports").json()).isEmpty();
        started.forEach(journey -> assertThat(state(journey)).isEqualTo("CANCELLED"));
    }

    @Test
    void aStopWaitsForAStartUnderWayAndCancelsItsJourneyAndAStartBehindAStopStartsNothing() throws Exception {
        // The ordering rests on row locks: on PostgreSQL a foreign key's hold on the version row, on H2 (whose
        // foreign keys hold nothing) the start's lock on the flow's row as it looks whether the flow is stopped.
        WaitingFlow waiting = waitingADay();
        String flow = waiting.flow();
        UUID version = waiting.version();
        UUID contactId = waiting.contactId();

        // A start under way: its journey inserted, its transaction not yet committed. The stop waits for it.
        try (ExecutorService other = Executors.newSingleThreadExecutor()) {
            var seen = OpenTransactions.whileOpen(transactions,
                    () -> {
                        Optional<UUID> inserted = store.insert(version, contactId, null, "pause", Map.of(), true);
                        assertThat(flows.isStopped(UUID.fromString(flow))).isFalse();
                        return inserted;
                    },
                    () -> {
                        var stop = other.submit(() -> api.post("/api/v1/flows/" + flow + "/stop?cancelJourneys=true", ""));
                        await().atMost(PATIENCE).until(() -> waitingOnALock("SELECT id FROM flow_versions WHERE flow_id")
                                || waitingOnALock("SELECT id FROM flows WHERE id"));
                        return stop;
                    });
            Api.Response stopped = seen.meanwhile().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertThat(stopped.json().path("cancellation").path("cancelledJourneys").asInt()).as(stopped.body()).isEqualTo(1);
            assertThat(state(seen.inside().orElseThrow().toString())).isEqualTo("CANCELLED");
        }

        // A stop under way (its transaction not yet committed): a start behind it waits, then starts nothing.
        api.post("/api/v1/flows/" + flow + "/resume", "");
        String phone = contact();
        try (ExecutorService other = Executors.newSingleThreadExecutor()) {
            var seen = OpenTransactions.whileOpen(transactions,
                    () -> flows.stop(UUID.fromString(flow)),
                    () -> {
                        var start = other.submit(() -> api.post("/api/v1/flows/" + flow + "/journeys", Map.of("to", phone)));
                        await().atMost(PATIENCE).until(() -> waitingOnALock("INSERT INTO journeys")
                                || waitingOnALock("SELECT stopped_at FROM flows"));
                        return start;
                    });
            Api.Response refused = seen.meanwhile().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertThat(refused.status()).as(refused.body()).isEqualTo(409);
            assertThat(refused.json().path("error").asString()).isEqualTo("flow_stopped");
        }
        assertThat(api.get("/api/v1/flows/" + flow + "/journeys?state=running").json()).isEmpty();
        assertThat(api.get("/api/v1/flows/" + flow + "/journeys?state=waiting").json()).isEmpty();
    }

    @Test
    void aStopOfMoreJourneysThanItCancelsBeforeAnsweringAnswers202AndItsCancellationIsFinishedInTheBackground() {
        WaitingFlow waiting = waitingADay();
        String flow = waiting.flow();
        UUID version = waiting.version();
        UUID contactId = waiting.contactId();
        // More than the stop and this context's worker, taking turns, can cancel before the stop answers.
        int underWay = 2 * Journeys.STOP_CHUNKS * Journeys.CANCEL_CHUNK + 700;
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < underWay; i++) {
            rows.add(new Object[] {Ids.newId(), version, contactId,
                    Times.utc(clock.instant().plus(Duration.ofDays(1)))});
        }
        batches.batchUpdate("INSERT INTO journeys (id, flow_version_id,"
                + " contact_id, state, current_step, variables, wake_at, started_at, updated_at) VALUES (?, ?, ?, 'WAITING',"
                + " 'pause', '{}', ?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", rows);

        Api.Response stop = api.post("/api/v1/flows/" + flow + "/stop?cancelJourneys=true", "");

        assertThat(stop.status()).as(stop.body()).isEqualTo(202);
        JsonNode cancellation = stop.json().path("cancellation");
        String location = "/api/v1/cancellations/" + cancellation.path("id").asString();
        assertThat(stop.headers().get("location")).containsExactly(location);
        assertThat(stop.json().path("flow").path("stoppedAt").asString()).isNotEmpty();
        assertThat(cancellation.path("flowId").asString()).isEqualTo(flow);
        assertThat(cancellation.path("state").asString()).isEqualTo("RUNNING");
        assertThat(cancellation.path("cancelledJourneys").asLong())
                .as("the journeys cancelled before the stop answered (by the stop, or by the worker once it started on them)")
                .isLessThan(underWay);
        await().atMost(PATIENCE).until(() -> "DONE".equals(api.get(location).json().path("state").asString()));
        JsonNode done = api.get(location).json();
        assertThat(done.path("cancelledJourneys").asLong()).isEqualTo(underWay);
        assertThat(done.path("finishedAt").asString()).isNotEmpty();
        assertThat(api.get("/api/v1/flows/" + flow + "/versions/1/counts").json().path("cancelled").asInt()).isEqualTo(underWay);
        assertThat(api.get("/api/v1/flows/" + flow + "/cancellations").json().path(0).path("id").asString())
                .isEqualTo(cancellation.path("id").asString());
        assertThat(api.get("/api/v1/cancellations/" + UUID.randomUUID()).status()).isEqualTo(404);
        assertThat(api.post("/api/v1/flows/" + flow + "/resume", "").status()).isEqualTo(200);
    }

    /** A published flow whose journeys wait a day at its first step, its one version, and a contact to start it for. */
    private record WaitingFlow(String flow, UUID version, UUID contactId) {}

    private WaitingFlow waitingADay() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"pause","steps":[
                 {"id":"pause","type":"wait","duration":"P1D","next":"end"},{"id":"end","type":"end"}]}""");
        UUID version = UUID.fromString(api.get("/api/v1/flows/" + flow + "/versions").json().path(0)
                .path("id").asString());
        return new WaitingFlow(flow, version, UUID.fromString(contactByPhone(contact()).path("id").asString()));
    }

    /** Whether a session of this database waits on a lock while running a statement that contains {@code text}. */
    private boolean waitingOnALock(String text) {
        return TestDatabase.sessionsWaitingForALock(jdbc, text) > 0;
    }

    /** Sends the template and waits 30 seconds for it to be delivered, then writes a report row that it was not. */
    private static final String SEND_THEN_AWAIT_DELIVERY_30_SECONDS = """
            {"name":"%s","entry":{"type":"api"},"start":"send","steps":[
             {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
              "headerParameters":["A-7"],"bodyParameters":["{{contact.first_name}}","A-7"],"next":"status"},
             {"id":"status","type":"branch_on_status","message":"send","timeout":"PT30S",
              "branches":{"delivered":"end","timeout":"gave_up"}},
             {"id":"gave_up","type":"add_report_row","status":"no status","next":"end"},
             {"id":"end","type":"end"}]}""";

    /** Sends the template and waits up to a day for it to be delivered. */
    private static final String SEND_THEN_AWAIT_DELIVERY = """
            {"name":"%s","entry":{"type":"api"},"start":"send","steps":[
             {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
              "headerParameters":["A-1"],"bodyParameters":["you","A-1"],"next":"status"},
             {"id":"status","type":"branch_on_status","message":"send","timeout":"P1D",
              "branches":{"delivered":"end","timeout":"end"}},
             {"id":"end","type":"end"}]}""";

    /** A journey whose message its handset refused once for throughput, and its contact's phone and its message. */
    private record Throttled(String journey, String phone, String message) {}

    /** Starts the flow for a handset that refuses a first attempt: once its message waits ten (moved) minutes, queued. */
    private Throttled throttled(String flow) {
        String phone = contact("8");
        String journey = start(flow, phone, Map.of());
        String message = messageOf(journey);
        await().atMost(PATIENCE).until(() -> triedOnceAndWaiting(message));
        return new Throttled(journey, phone, message);
    }

    @Test
    void stoppingAFlowWithItsJourneysWithdrawsTheMessagesTheyQueuedThatNoProviderHasTakenYet() {
        String stopped = publish(SEND_THEN_AWAIT_DELIVERY);
        Throttled cancelledOne = throttled(stopped);
        Throttled control = throttled(publish(SEND_THEN_AWAIT_DELIVERY));
        String cancelled = cancelledOne.journey();
        String goesOn = control.journey();
        String withdrawnMessage = cancelledOne.message();
        String cancelledPhone = cancelledOne.phone();
        String controlPhone = control.phone();

        Api.Response stop = api.post("/api/v1/flows/" + stopped + "/stop?cancelJourneys=true", "");

        assertThat(stop.json().path("cancellation").path("cancelledJourneys").asInt()).as(stop.body()).isEqualTo(1);
        assertThat(stop.json().path("cancellation").path("withdrawnMessages").asInt()).isEqualTo(1);
        JsonNode message = api.get("/api/v1/messages/" + withdrawnMessage).json();
        assertThat(message.path("status").asString()).isEqualTo("blocked");
        assertThat(message.path("blockedReason").asString()).startsWith("cancelled: flow step-test-");
        clock.advance(Duration.ofMinutes(11));
        await().atMost(PATIENCE).until(() -> sandbox.graphApi().acceptedFor(controlPhone) == 1);
        awaitEnded(goesOn);
        assertThat(sandbox.graphApi().acceptedFor(cancelledPhone)).isZero();
        assertThat(api.get("/api/v1/messages/" + withdrawnMessage).json().path("status").asString()).isEqualTo("blocked");
        assertThat(state(cancelled)).isEqualTo("CANCELLED");
    }

    @Test
    void cancellingOneJourneyWithdrawsItsQueuedMessageAndLeavesTheFlowsOtherJourneysGoingOn() {
        String flow = publish(SEND_THEN_AWAIT_DELIVERY);
        Throttled cancelledOne = throttled(flow);
        Throttled other = throttled(flow);
        String cancelled = cancelledOne.journey();
        String goesOn = other.journey();
        String withdrawnMessage = cancelledOne.message();
        String cancelledPhone = cancelledOne.phone();
        String goesOnPhone = other.phone();

        String cancelledCount = "reach_journeys_finished_total{state=\"cancelled\"}";
        double cancelledBefore = api.metrics().get(cancelledCount);

        Api.Response cancel = api.post("/api/v1/journeys/" + cancelled + "/cancel", Map.of("reason", "order 42 was cancelled"));

        assertThat(cancel.status()).as(cancel.body()).isEqualTo(200);
        assertThat(api.metrics().get(cancelledCount)).isEqualTo(cancelledBefore + 1);
        assertThat(cancel.json().path("journey").path("state").asString()).isEqualTo("CANCELLED");
        assertThat(cancel.json().path("journey").path("error").asString())
                .isEqualTo("cancelled through the API: order 42 was cancelled");
        assertThat(cancel.json().path("withdrawnMessages").asInt()).isEqualTo(1);
        JsonNode message = api.get("/api/v1/messages/" + withdrawnMessage).json();
        assertThat(message.path("status").asString()).isEqualTo("blocked");
        assertThat(message.path("blockedReason").asString()).isEqualTo("cancelled through the API: order 42 was cancelled");
        JsonNode path = api.get("/api/v1/journeys/" + cancelled + "/path").json();
        assertThat(path.path(path.size() - 1).path("stepId").asString()).isEqualTo("status");
        assertThat(path.path(path.size() - 1).path("outcome").asString()).isEqualTo("cancelled through the API: order 42 was cancelled");
        clock.advance(Duration.ofMinutes(11));
        await().atMost(PATIENCE).until(() -> sandbox.graphApi().acceptedFor(goesOnPhone) == 1);
        awaitEnded(goesOn);
        assertThat(sandbox.graphApi().acceptedFor(cancelledPhone)).isZero();
        assertThat(state(cancelled)).isEqualTo("CANCELLED");

        Api.Response again = api.post("/api/v1/journeys/" + cancelled + "/cancel", "");
        assertThat(again.status()).as(again.body()).isEqualTo(200);
        assertThat(again.json().path("withdrawnMessages").asInt()).isZero();
        assertThat(again.json().path("journey").path("error").asString()).endsWith("order 42 was cancelled");
        assertThat(api.metrics().get(cancelledCount)).as("cancelled once").isEqualTo(cancelledBefore + 1);
        Api.Response ended = api.post("/api/v1/journeys/" + goesOn + "/cancel", "");
        assertThat(ended.status()).as(ended.body()).isEqualTo(409);
        assertThat(ended.json().path("message").asString()).contains("is ended");
        assertThat(ended.json().path("error").asString()).isEqualTo("journey_over");
        assertThat(state(goesOn)).isEqualTo("ENDED");
        Api.Response tooLong = api.post("/api/v1/journeys/" + goesOn + "/cancel", Map.of("reason", "x".repeat(501)));
        assertThat(tooLong.status()).isEqualTo(400);
        assertThat(tooLong.json().path("details").path(0).path("field").asString()).isEqualTo("reason");
        assertThat(api.post("/api/v1/journeys/" + UUID.randomUUID() + "/cancel", "").status()).isEqualTo(404);
    }

    @Test
    void cancellingAContactsJourneysTakesThoseUnderWayInOneFlowOrInEveryFlowAndLeavesOtherContactsAlone() {
        String orders = publish(SEND_THEN_AWAIT_DELIVERY);
        String surveys = publish(SEND_THEN_AWAIT_DELIVERY);
        Throttled firstOrder = throttled(orders);
        String phone = firstOrder.phone();
        String secondOrder = start(orders, phone, Map.of());
        String survey = start(surveys, phone, Map.of());
        for (String journey : List.of(secondOrder, survey)) {
            String message = messageOf(journey);
            await().atMost(PATIENCE).until(() -> triedOnceAndWaiting(message));
        }
        Throttled otherContact = throttled(orders);

        // The flow by its name, as a backend's settings hold it.
        String ordersName = api.get("/api/v1/flows/" + orders).json().path("name").asString();
        Api.Response inOneFlow = api.post("/api/v1/journeys/cancel", Map.of("to", phone, "flowId", ordersName,
                "reason", "order 42 was cancelled"));

        assertThat(inOneFlow.status()).as(inOneFlow.body()).isEqualTo(200);
        assertThat(Api.texts(inOneFlow.json().path("cancelledJourneys"))).containsExactlyInAnyOrder(firstOrder.journey(), secondOrder);
        assertThat(inOneFlow.json().path("withdrawnMessages").asInt()).isEqualTo(2);
        assertThat(outcome(secondOrder, 1)).isEqualTo("cancelled through the API: order 42 was cancelled");
        assertThat(api.get("/api/v1/messages/" + firstOrder.message()).json().path("status").asString()).isEqualTo("blocked");
        assertThat(state(survey)).isEqualTo("WAITING");
        assertThat(state(otherContact.journey())).isEqualTo("WAITING");

        String contactId = contactByPhone(phone).path("id").asString();
        Api.Response everywhere = api.post("/api/v1/journeys/cancel", Map.of("contactId", contactId));
        assertThat(everywhere.status()).as(everywhere.body()).isEqualTo(200);
        assertThat(everywhere.json().path("contactId").asString()).isEqualTo(contactId);
        assertThat(Api.texts(everywhere.json().path("cancelledJourneys"))).containsExactly(survey);
        assertThat(everywhere.json().path("withdrawnMessages").asInt()).isEqualTo(1);
        assertThat(outcome(survey, 1)).isEqualTo("cancelled through the API");
        Api.Response again = api.post("/api/v1/journeys/cancel", Map.of("to", phone));
        assertThat(again.status()).as(again.body()).isEqualTo(200);
        assertThat(again.json().path("cancelledJourneys")).isEmpty();

        assertThat(api.post("/api/v1/journeys/cancel", Map.of("to", phone, "reason", "x".repeat(501))).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/journeys/cancel", Map.of()).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/journeys/cancel", Map.of("to", nextPhone("1"))).status()).isEqualTo(404);
        assertThat(api.post("/api/v1/journeys/cancel", Map.of("to", phone, "flowId", UUID.randomUUID().toString()))
                .status()).isEqualTo(404);
        Api.Response unknownName = api.post("/api/v1/journeys/cancel", Map.of("to", phone, "flowId", "no such flow"));
        assertThat(unknownName.status()).isEqualTo(404);
        assertThat(unknownName.json().path("message").asString()).isEqualTo("No flow has the id or name 'no such flow'");
        clock.advance(Duration.ofMinutes(11));
        await().atMost(PATIENCE).until(() -> sandbox.graphApi().acceptedFor(otherContact.phone()) == 1);
        awaitEnded(otherContact.journey());
        assertThat(sandbox.graphApi().acceptedFor(phone)).isZero();
    }

    @Test
    void anEventItsFlowExitsOnCancelsTheContactsJourneyWhereverItIsAndWithdrawsItsQueuedMessage() {
        String event = "order_cancelled_" + FLOWS.incrementAndGet();
        String reminders = publish(SEND_THEN_AWAIT_DELIVERY.replace("\"start\":\"send\"",
                "\"exitOn\":[\"order_picked_up\",\"%s\"],\"start\":\"send\""), event);
        String apology = publish("""
                {"name":"%s","entry":{"type":"event","event":"%s"},"start":"end","steps":[{"id":"end","type":"end"}]}""", event);
        Throttled leaves = throttled(reminders);
        Throttled staysOn = throttled(reminders);

        Api.Response posted = api.post("/api/v1/events", Map.of("name", event, "to", leaves.phone()));

        assertThat(posted.status()).as(posted.body()).isEqualTo(202);
        assertThat(Api.texts(posted.json().path("exited"))).containsExactly(leaves.journey());
        assertThat(posted.json().path("journeys")).hasSize(1);
        assertThat(Api.ids(api.get("/api/v1/flows/" + apology + "/journeys").json()))
                .containsExactly(posted.json().path("journeys").path(0).path("journeyId").asString());
        JsonNode left = api.get("/api/v1/journeys/" + leaves.journey()).json();
        assertThat(left.path("state").asString()).isEqualTo("CANCELLED");
        assertThat(left.path("error").asString()).isEqualTo("exited: event " + event + " was posted");
        assertThat(api.get("/api/v1/messages/" + leaves.message()).json().path("status").asString()).isEqualTo("blocked");
        assertThat(state(staysOn.journey())).isEqualTo("WAITING");
        Api.Response again = api.post("/api/v1/events", Map.of("name", event, "to", leaves.phone()));
        assertThat(again.json().path("exited")).isEmpty();

        clock.advance(Duration.ofMinutes(11));
        await().atMost(PATIENCE).until(() -> sandbox.graphApi().acceptedFor(staysOn.phone()) == 1);
        awaitEnded(staysOn.journey());
        assertThat(sandbox.graphApi().acceptedFor(leaves.phone())).isZero();
    }

    @Test
    void optingOutWithdrawsTheContactsQueuedMessagesAndItsJourneyTakesTheBlockedBranch() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"send","steps":[
                 {"id":"send","type":"send_whatsapp","sender":"sandbox","template":"order_ready","language":"en_US",
                  "headerParameters":["A-1"],"bodyParameters":["you","A-1"],"next":"status"},
                 {"id":"status","type":"branch_on_status","message":"send","timeout":"P1D",
                  "branches":{"delivered":"end","blocked":"sms","timeout":"end"}},
                 {"id":"sms","type":"send_sms","sender":"sandbox-sms","text":"Order A-1 is ready","category":"utility","next":"end"},
                 {"id":"end","type":"end"}]}""");
        // Each handset refuses a first attempt for throughput: the messages wait ten (moved) minutes, queued.
        String patched = contact("8");
        String imported = contact("8");
        String control = contact("8");
        Map<String, String> journeys = new LinkedHashMap<>();
        for (String phone : List.of(patched, imported, control)) {
            journeys.put(phone, start(flow, phone, Map.of()));
        }
        Map<String, String> messages = new LinkedHashMap<>();
        journeys.forEach((phone, journey) -> messages.put(phone, messageOf(journey)));
        await().atMost(PATIENCE).until(() -> messages.values().stream().allMatch(this::triedOnceAndWaiting));

        String patchedId = api.get("/api/v1/contacts?phone=" + patched.replace("+", "%2B")).json().path(0).path("id").asString();
        assertThat(api.patch("/api/v1/contacts/" + patchedId, Map.of("optedOut", true)).status()).isEqualTo(200);
        Api.Response csv = api.postRaw("/api/v1/contacts/import", "text/csv",
                ("phone,opted_out\n" + imported + ",yes\n").getBytes(StandardCharsets.UTF_8), Map.of());
        assertThat(csv.json().path("updated").asInt()).as(csv.body()).isEqualTo(1);

        for (String phone : List.of(patched, imported)) {
            JsonNode message = api.get("/api/v1/messages/" + messages.get(phone)).json();
            assertThat(message.path("status").asString()).isEqualTo("blocked");
            assertThat(message.path("blockedReason").asString()).isEqualTo("opted out: the contact opted out of all messages");
        }
        clock.advance(Duration.ofMinutes(11));
        journeys.values().forEach(this::awaitEnded);
        assertThat(sandbox.graphApi().acceptedFor(control)).isEqualTo(1);
        for (String phone : List.of(patched, imported)) {
            assertThat(sandbox.graphApi().acceptedFor(phone)).as(phone).isZero();
            assertThat(steps(journeys.get(phone))).containsExactly("send", "status:blocked", "sms", "end");
            assertThat(sandbox.smsc().submitsTo(phone)).as("the fallback is blocked too").isEmpty();
        }
        assertThat(steps(journeys.get(control))).containsExactly("send", "status:delivered", "end");
    }

    @Test
    void withdrawingConsentToACategoryWithdrawsTheContactsQueuedMessagesOfThatCategoryOnly() {
        Api.Response promo = api.post("/api/v1/templates", Map.of("name", "weekly_deals", "language", "en_US",
                "category", "marketing", "components", List.of(Map.of("type", "BODY", "text", "Deals for {{1}}"))));
        assertThat(promo.status()).as(promo.body()).isIn(201, 409);
        // The handset refuses a first attempt for throughput: both messages wait ten (moved) minutes, queued.
        String phone = contact("8");
        Api.Response marketing = api.post("/api/v1/messages/whatsapp", Map.of("sender", "sandbox", "to", phone,
                "template", "weekly_deals", "language", "en_US", "bodyParameters", List.of("you")));
        Api.Response utility = api.post("/api/v1/messages/whatsapp", Map.of("sender", "sandbox", "to", phone,
                "template", "order_ready", "language", "en_US", "headerParameters", List.of("A-1"),
                "bodyParameters", List.of("you", "A-1")));
        String deals = marketing.json().path("messageId").asString();
        String order = utility.json().path("messageId").asString();
        await().atMost(PATIENCE).until(() -> triedOnceAndWaiting(deals) && triedOnceAndWaiting(order));

        String contactId = api.get("/api/v1/contacts?phone=" + phone.replace("+", "%2B")).json().path(0).path("id").asString();
        Api.Response changed = api.patch("/api/v1/contacts/" + contactId, Map.of("consent", Map.of("utility", true)));
        assertThat(changed.json().path("consent").path("marketing").asBoolean()).as(changed.body()).isFalse();

        JsonNode withdrawn = api.get("/api/v1/messages/" + deals).json();
        assertThat(withdrawn.path("status").asString()).isEqualTo("blocked");
        assertThat(withdrawn.path("blockedReason").asString()).isEqualTo("no consent: the contact has not agreed to marketing messages");
        assertThat(api.get("/api/v1/messages/" + order).json().path("status").asString()).isEqualTo("queued");
        clock.advance(Duration.ofMinutes(11));
        await().atMost(PATIENCE).until(() -> sandbox.graphApi().acceptedFor(phone) == 1);
        await().atMost(PATIENCE).until(() -> !"queued".equals(api.get("/api/v1/messages/" + order).json().path("status").asString()));
        assertThat(api.get("/api/v1/messages/" + deals).json().path("status").asString()).isEqualTo("blocked");
    }

    @Test
    void aSenderRenamedAfterPublishingStillSendsForThatVersionsJourneys() {
        String name = "renamable-" + FLOWS.incrementAndGet();
        Api.Response created = api.post("/api/v1/senders", Map.of("name", name, "channel", "sms", "provider", "smpp",
                "fromAddress", "Shop", "secret", "sandbox", "settings", Map.of("host", "127.0.0.1",
                        "port", String.valueOf(sandbox.smsc().port()), "systemId", "reach")));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String senderId = created.json().path("id").asString();
        await().atMost(PATIENCE).until(() -> {
            for (JsonNode link : api.get("/api/v1/smpp-links").json()) {
                if (senderId.equals(link.path("senderId").asString())) {
                    return link.path("bound").asBoolean();
                }
            }
            return false;
        });
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"sms","steps":[
                 {"id":"sms","type":"send_sms","sender":"%s","text":"Order A-1 is ready","category":"utility","next":"end"},
                 {"id":"end","type":"end"}]}""", name);

        Api.Response renamed = api.patch("/api/v1/senders/" + senderId, Map.of("name", name + "-renamed"));
        assertThat(renamed.status()).as(renamed.body()).isEqualTo(200);
        String phone = contact();
        String journey = start(flow, phone, Map.of());

        awaitEnded(journey);
        assertThat(outcome(journey, 0)).isEqualTo("queued");
        await().atMost(PATIENCE).until(() -> sandbox.smsc().submitsTo(phone).size() == 1);
        String message = api.get("/api/v1/journeys/" + journey).json().path("variables").path("_message.sms").asString();
        assertThat(api.get("/api/v1/messages/" + message).json().path("senderId").asString()).isEqualTo(senderId);
    }

    private String messageOf(String journey) {
        await().atMost(PATIENCE).until(() -> api.get("/api/v1/journeys/" + journey).json().path("variables").has("_message.send"));
        return api.get("/api/v1/journeys/" + journey).json().path("variables").path("_message.send").asString();
    }

    /** When the message went out (its {@code submitted} status, on Reach's clock, the test's); empty until it has. */
    private Optional<Instant> wentOutAt(String messageId) {
        return api.get("/api/v1/messages/" + messageId).json().path("timeline").valueStream()
                .filter(event -> "submitted".equals(event.path("status").asString()))
                .map(event -> Instant.parse(event.path("occurredAt").asString())).findFirst();
    }

    /** The message's first attempt was refused and it waits for its next one, in no dispatcher's hands. */
    private boolean triedOnceAndWaiting(String messageId) {
        return jdbc.sql("SELECT COUNT(*) FROM messages WHERE id = ? AND status = 'QUEUED' AND attempts = 1 AND lease_until IS NULL")
                .param(UUID.fromString(messageId)).query(Long.class).single() == 1;
    }

    @Test
    void twoLaunchesOfOneAudienceAtOnceStartEveryoneOnce() {
        String tag = "crowd-" + FLOWS.incrementAndGet();
        int crowd = 1200; // more than two of the launch's chunks (500), so that the launches overlap
        StringBuilder csv = new StringBuilder("phone,tags,consent\n");
        for (int i = 0; i < crowd; i++) {
            csv.append("+316140").append(String.format("%05d", i)).append(',').append(tag)
                    .append(",utility\n");
        }
        Api.Response imported = api.postRaw("/api/v1/contacts/import", "text/csv", csv.toString().getBytes(StandardCharsets.UTF_8),
                Map.of());
        assertThat(imported.json().path("failed").asInt()).as(imported.body()).isZero();
        String flow = publish("""
                {"name":"%s","entry":{"type":"audience","audience":{"tags":["%s"],"consent":"utility"}},
                 "start":"pause","steps":[{"id":"pause","type":"wait","duration":"P1D","next":"end"},{"id":"end","type":"end"}]}""",
                tag);

        double startedBefore = api.metrics().get("reach_journeys_started_total");
        List<String> launches = new ArrayList<>();
        for (Api.Response launch : Api.atOnce(2, () -> api.post("/api/v1/flows/" + flow + "/launch", ""))) {
            assertThat(launch.status()).as(launch.body()).isEqualTo(202);
            launches.add(launch.json().path("id").asString());
        }
        long started = 0;
        for (String launch : launches) {
            started += FlowFixtures.awaitLaunch(api, launch, "DONE").path("started").asLong();
        }
        assertThat(started).isEqualTo(crowd);
        assertThat(api.metricsOnce(metrics -> metrics.get("reach_journeys_started_total") == startedBefore + crowd)
                .get("reach_journeys_started_total")).as("counted once each").isEqualTo(startedBefore + crowd);
        String version = api.get("/api/v1/flows/" + flow + "/versions").json().path(0).path("id").asString();
        assertThat(jdbc.sql("SELECT COUNT(*) FROM journeys WHERE flow_version_id = ?").param(UUID.fromString(version))
                .query(Long.class).single()).isEqualTo(crowd);
        assertThat(jdbc.sql("SELECT COUNT(DISTINCT contact_id) FROM journeys WHERE flow_version_id = ?")
                .param(UUID.fromString(version)).query(Long.class).single()).isEqualTo(crowd);
        assertThat(jdbc.sql("SELECT COUNT(*) FROM journey_steps WHERE flow_version_id = ? AND seq = 1")
                .param(UUID.fromString(version)).query(Long.class).single()).isEqualTo(crowd);
    }

    private String audienceContact(String tag, String city, boolean utility, boolean optedOut) {
        String phone = nextPhone("3");
        Api.Response created = api.post("/api/v1/contacts", Map.of("phone", phone, "tags", List.of(tag),
                "attributes", Map.of("city", city), "consent", Map.of("utility", utility), "optedOut", optedOut));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return phone;
    }

    @Test
    void startsEveryJourneyWithTheDocumentsDefaultVariablesWhichAnApiStartReplaces() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"variables":{"greeting":"Hello","shop":"Utrecht"},"start":"report","steps":[
                 {"id":"report","type":"add_report_row","status":"started","description":"{{greeting}} from {{shop}}","next":"end"},
                 {"id":"end","type":"end"}]}""");
        String tag = "defaults-" + FLOWS.incrementAndGet();
        String launched = publish("""
                {"name":"%s","entry":{"type":"audience","audience":{"tags":["%s"]}},"variables":{"greeting":"Welcome"},
                 "start":"report","steps":[
                 {"id":"report","type":"add_report_row","status":"launched","description":"{{greeting}}","next":"end"},
                 {"id":"end","type":"end"}]}""", tag);
        audienceContact(tag, "Utrecht", true, false);

        awaitEnded(start(flow, contact(), Map.of()));
        awaitEnded(start(flow, contact(), Map.of("greeting", "Hi")));
        assertThat(FlowFixtures.launch(api, launched).path("started").asInt()).isEqualTo(1);

        List<String> descriptions = new ArrayList<>();
        api.get("/api/v1/flows/" + flow + "/reports").json().forEach(row -> descriptions.add(row.path("description").asString()));
        assertThat(descriptions).containsExactlyInAnyOrder("Hello from Utrecht", "Hi from Utrecht");
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(api.get("/api/v1/flows/" + launched + "/reports").json())
                .extracting(row -> row.path("description").asString()).containsExactly("Welcome"));
    }

    @Test
    void refusesADocumentWhoseDefaultVariablesAreNamedLikeReachsOwn() {
        Api.Response refused = api.post("/api/v1/flows", """
                {"name":"step-test-reserved-defaults","entry":{"type":"api"},"variables":{"_last_from":"x"},"start":"end",
                 "steps":[{"id":"end","type":"end"}]}""");

        assertThat(refused.status()).as(refused.body()).isEqualTo(400);
        assertThat(refused.json().path("message").asString()).startsWith("variables._last_from: names starting with _");
    }

    @Test
    void refusesVariablesNamedLikeReachsOwnAndStartsNothing() {
        String flow = publish("""
                {"name":"%s","entry":{"type":"api"},"start":"end","steps":[{"id":"end","type":"end"}]}""");

        Api.Response refused = api.post("/api/v1/flows/" + flow + "/journeys",
                Map.of("to", contact(), "variables", Map.of("order", "42", "_message.send", "not a message id")));

        Api.Response contactsOwn = api.post("/api/v1/flows/" + flow + "/journeys",
                Map.of("to", contact(), "variables", Map.of("contact.first_name", "Ada")));

        assertThat(refused.status()).as(refused.body()).isEqualTo(400);
        assertThat(refused.json().path("details").path(0).path("field").asString()).isEqualTo("variables._message.send");
        assertThat(contactsOwn.status()).as(contactsOwn.body()).isEqualTo(400);
        assertThat(contactsOwn.json().path("details").path(0).path("field").asString()).isEqualTo("variables.contact.first_name");
        assertThat(contactsOwn.json().path("message").asString()).contains("those starting with contact. read the contact's attributes");
        assertThat(api.get("/api/v1/flows/" + flow + "/journeys").json()).isEmpty();
    }

    private void postInboundText(String phone, String text) {
        postInboundText(phone, text, clock.instant());
    }

    /** A text the contact typed at {@code writtenAt}, quoting no message, as WhatsApp sends most replies. */
    private void postInboundText(String phone, String text, Instant writtenAt) {
        postInbound(phone, "\"type\":\"text\",\"text\":{\"body\":\"" + text + "\"}", writtenAt);
    }

    /** An inbound WhatsApp message from {@code phone}: {@code fields} are those after its id and timestamp. */
    private void postInbound(String phone, String fields, Instant writtenAt) {
        String payload = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"200000000000001\",\"changes\":[{\"value\":"
                + "{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"15550100001\","
                + "\"phone_number_id\":\"100000000000001\"},\"messages\":[{\"from\":\"" + phone.substring(1) + "\",\"id\":\"wamid.in-"
                + UUID.randomUUID() + "\",\"timestamp\":\"" + writtenAt.getEpochSecond()
                + "\"," + fields + "}]},\"field\":\"messages\"}]}]}";
        Api.Response response = api.postSignedWhatsAppWebhook(payload, "sandbox-app-secret");
        assertThat(response.status()).isEqualTo(200);
    }

    /** A whole hour some hours after Reach's (moved) now, in the contacts' time zone. */
    private String windowStart(int hoursFromNow) {
        return clock.instant().atZone(ZoneId.of("Europe/Amsterdam")).plusHours(hoursFromNow).withMinute(0).toLocalTime()
                .withSecond(0).withNano(0).toString();
    }

    private String publish(String document, Object... arguments) {
        List<Object> values = new ArrayList<>(List.of("step-test-" + FLOWS.incrementAndGet()));
        values.addAll(List.of(arguments));
        return FlowFixtures.publish(api, document.formatted(values.toArray()));
    }

    private String contact() {
        return contact("1");
    }

    private String contact(String group) {
        String phone = nextPhone(group);
        Fixtures.contact(api, phone, Map.of("utility", true, "marketing", true), false);
        return phone;
    }

    private static String nextPhone(String group) {
        return "+316130" + group + String.format("%04d", 5000 + NUMBERS.incrementAndGet());
    }

    private String start(String flowId, String phone, Map<String, String> variables) {
        Api.Response started = api.post("/api/v1/flows/" + flowId + "/journeys", Map.of("to", phone, "variables", variables));
        assertThat(started.status()).as(started.body()).isEqualTo(201);
        return started.json().path("journeyId").asString();
    }

    /** Waits until the journey ended; the journey. */
    private String awaitEnded(String journey) {
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(state(journey)).as(api.get("/api/v1/journeys/" + journey
                + "/path").body()).isEqualTo("ENDED"));
        return journey;
    }

    private String state(String journey) {
        return api.get("/api/v1/journeys/" + journey).json().path("state").asString();
    }

    private String current(String journey) {
        return api.get("/api/v1/journeys/" + journey).json().path("currentStep").asString();
    }

    private List<String> steps(String journey) {
        List<String> steps = new ArrayList<>();
        api.get("/api/v1/journeys/" + journey + "/path").json().forEach(s -> steps.add(s.path("stepId").asString()
                + (s.path("branch").isMissingNode() || s.path("branch").isNull() ? "" : ":" + s.path("branch").asString())));
        return steps;
    }

    private String outcome(String journey, int index) {
        return api.get("/api/v1/journeys/" + journey + "/path").json().path(index).path("outcome").asString();
    }

    private JsonNode contactByPhone(String phone) {
        return api.get("/api/v1/contacts?phone=" + phone.replace("+", "%2B")).json().path(0);
    }
}

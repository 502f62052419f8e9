package io.reach.support;

import io.reach.messaging.whatsapp.WebhookSignature;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A small HTTP client for tests: Reach's REST API over real loopback HTTP, with the bearer token. */
public final class Api {

    public static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final String token;

    public Api(String base, String token) {
        this.base = base;
        this.token = token;
    }

    /** A response: its status, raw body and the body as JSON (null when it is not JSON). */
    public record Response(int status, String body, JsonNode json, Map<String, List<String>> headers) {}

    public Response get(String path) {
        return send(request(path).GET().build());
    }

    /** GETs with these headers besides the token ({@code Accept}, say). */
    public Response get(String path, Map<String, String> headers) {
        HttpRequest.Builder builder = request(path).GET();
        headers.forEach(builder::header);
        return send(builder.build());
    }

    /**
     * Every page of a list from the first on, each answered 200, following the {@code Link: <path>; rel="next"}
     * headers (one at most per page) until a page has none.
     */
    public List<JsonNode> followPages(String first) {
        List<JsonNode> pages = new ArrayList<>();
        Pattern next = Pattern.compile("<([^>]+)>; rel=\"next\"");
        for (String path = first; path != null; ) {
            Response page = get(path);
            if (page.status() != 200) {
                throw new AssertionError(path + " answered " + page.status() + ": " + page.body());
            }
            pages.add(page.json());
            List<String> links = page.headers().getOrDefault("link", List.of());
            if (links.size() > 1) {
                throw new AssertionError(path + " gave " + links.size() + " Link headers: " + links);
            }
            Matcher link = links.isEmpty() ? null : next.matcher(links.getFirst());
            if (link != null && !link.matches()) {
                throw new AssertionError(path + " gave a Link header of another shape: " + links.getFirst());
            }
            path = link == null ? null : link.group(1);
        }
        return pages;
    }

    /** The items of every page from {@code first} on (see {@link #followPages}), in their order. */
    public List<JsonNode> allItems(String first) {
        return followPages(first).stream().flatMap(JsonNode::valueStream).toList();
    }

    /** The {@code id} of each item of a JSON array, as text. */
    public static List<String> ids(JsonNode items) {
        return items.valueStream().map(item -> item.path("id").asString()).toList();
    }

    /** Each item of a JSON array of strings. */
    public static List<String> texts(JsonNode items) {
        return items.valueStream().map(JsonNode::asString).toList();
    }

    /** POSTs a body: a String as it is, anything else as JSON. */
    public Response post(String path, Object body) {
        return withJson("POST", path, body);
    }

    public Response delete(String path) {
        return delete(path, Map.of());
    }

    public Response delete(String path, Map<String, String> headers) {
        HttpRequest.Builder builder = request(path).DELETE();
        headers.forEach(builder::header);
        return send(builder.build());
    }

    public Response put(String path, Object body) {
        return withJson("PUT", path, body);
    }

    public Response patch(String path, Object body) {
        return withJson("PATCH", path, body);
    }

    private Response withJson(String method, String path, Object body) {
        String text = body instanceof String s ? s : JSON.writeValueAsString(body);
        return send(request(path).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(text)).build());
    }

    public Response postRaw(String path, String contentType, byte[] body, Map<String, String> headers) {
        HttpRequest.Builder builder = request(path).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(builder::header);
        return send(builder.build());
    }

    /**
     * Posts {@code body} with its length and {@code Expect: 100-continue}, as curl does with a body over 1 MB: the body
     * is sent only once the server asks for it.
     */
    public Response postExpectingContinue(String path, String contentType, byte[] body) {
        return send(request(path).header("Content-Type", contentType).expectContinue(true)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    /** Posts {@code body} in chunks, without a Content-Length, as a client streaming what it has not measured does. */
    public Response postChunked(String path, String contentType, byte[] body) {
        return send(request(path).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build());
    }

    /** Posts a webhook to {@code /webhooks/whatsapp} as Meta does: the JSON, signed with the sender's app secret. */
    public Response postSignedWhatsAppWebhook(String payload, String appSecret) {
        byte[] body = payload.getBytes(StandardCharsets.UTF_8);
        return postRaw("/webhooks/whatsapp", "application/json", body,
                Map.of("X-Hub-Signature-256", WebhookSignature.sign(body, appSecret)));
    }

    /** Sends {@code count} requests from as many threads, released together, and gives their answers. */
    public static List<Response> atOnce(int count, Supplier<Response> request) {
        List<Future<Response>> sent = new ArrayList<>();
        try (ExecutorService threads = Executors.newFixedThreadPool(count)) {
            CountDownLatch ready = new CountDownLatch(count);
            for (int i = 0; i < count; i++) {
                sent.add(threads.submit(() -> {
                    ready.countDown();
                    ready.await();
                    return request.get();
                }));
            }
        }
        return sent.stream().map(Future::resultNow).toList();
    }

    /**
     * Reach's metrics as Prometheus scrapes them ({@code GET /actuator/prometheus}, with the token): each sample's
     * series (its name and labels, as written) and value.
     */
    public Map<String, Double> metrics() {
        Response scraped = get("/actuator/prometheus");
        if (scraped.status() != 200) {
            throw new AssertionError("GET /actuator/prometheus answered " + scraped.status() + ": " + scraped.body());
        }
        Map<String, Double> samples = new HashMap<>();
        scraped.body().lines().filter(line -> !line.isBlank() && !line.startsWith("#")).forEach(line -> {
            int space = line.lastIndexOf(' ');
            samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        });
        return samples;
    }

    /**
     * Scrapes the metrics until a scrape is as {@code expected} (10 s at most) and gives the last scrape, for the
     * caller's assertions: a metric read from the database gives its former value, or none, to a scrape that its read
     * takes too long for (a slow machine), and the value it read to the next.
     */
    public Map<String, Double> metricsOnce(Predicate<Map<String, Double>> expected) {
        AtomicReference<Map<String, Double>> last = new AtomicReference<>();
        try {
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> expected.test(last.updateAndGet(before -> metrics())));
        } catch (ConditionTimeoutException e) {
            // The caller's assertions on the last scrape say what differs.
        }
        return last.get();
    }

    public Response postWithoutToken(String path, String contentType, byte[] body) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", contentType).expectContinue(true).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    public Response getWithoutToken(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).GET().build());
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token);
    }

    private Response send(HttpRequest request) {
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode json = null;
            try {
                json = response.body().isBlank() ? null : JSON.readTree(response.body());
            } catch (RuntimeException notJson) {
                // plain-text answers (the webhook handshake) are read from body()
            }
            return new Response(response.statusCode(), response.body(), json, response.headers().map());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

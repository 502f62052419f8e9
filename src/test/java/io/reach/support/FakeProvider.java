package io.reach.support;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * A local HTTP server standing in for a provider's API in tests (Meta's Graph API, Twilio's REST API): it records
 * every request and answers with the scripted responses in order, then with the provider's usual success. A scripted
 * answer may also stall after its headers ({@link #stallNext()}).
 */
public final class FakeProvider implements AutoCloseable {

    /** One request as the server saw it, and when ({@link System#nanoTime()}) it came. */
    public record Request(String method, String path, Map<String, List<String>> headers, String body, long receivedNanos,
                          String query) {
        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().getFirst()).findFirst().orElse(null);
        }
    }

    /** A scripted answer. */
    public record Answer(int status, String body) {}

    // The scripted answer that stalls: compared by identity, not by value.
    private static final Answer STALLS = new Answer(200, "{\"");

    private final HttpServer server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Queue<Answer> script = new ConcurrentLinkedQueue<>();
    // Released by close(): a stalled answer waits for it.
    private final CountDownLatch closed = new CountDownLatch(1);

    /** Meta's Graph API: success names a fresh WhatsApp message id. */
    public static FakeProvider metaGraphApi() {
        return new FakeProvider((n, request) -> metaAccepted(n));
    }

    /** Meta's answer to the {@code n}th send it takes: the message id it gives it. */
    public static Answer metaAccepted(int n) {
        return new Answer(200, "{\"messaging_product\":\"whatsapp\",\"contacts\":[{\"input\":\"x\","
                + "\"wa_id\":\"x\"}],\"messages\":[{\"id\":\"wamid.fake-" + n + "\"}]}");
    }

    /** Twilio's REST API: success creates a message (SM…) or call (CA…) resource. */
    public static FakeProvider twilio() {
        return new FakeProvider((n, request) -> new Answer(201, "{\"sid\":\"" + (request.path().endsWith("Calls.json") ? "CA" : "SM")
                + String.format("%032x", n) + "\",\"status\":\"queued\",\"account_sid\":\"AC" + "0".repeat(32) + "\"}"));
    }

    private final BiFunction<Integer, Request, Answer> success;

    public FakeProvider(BiFunction<Integer, Request, Answer> success) {
        this.success = success;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", exchange -> {
            try (exchange) {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                Request request = new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                        Map.copyOf(exchange.getRequestHeaders()), body, System.nanoTime(),
                        exchange.getRequestURI().getRawQuery());
                requests.add(request);
                Answer answer = script.poll();
                if (answer == null) {
                    answer = success.apply(requests.size(), request);
                }
                byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(answer.status(), answer == STALLS ? 4096 : bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                    if (answer == STALLS) {
                        out.flush();
                        closed.await(30, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException | IOException closedByTheClient) {
                    // the client gave up on a stalled answer
                }
            }
        });
        // A thread per exchange: a stalled answer holds its own, not the next request's.
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    /** A loopback base URL nothing listens on: a provider no connection reaches (a port taken and given back). */
    public static String unreachableBaseUrl() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "http://127.0.0.1:" + socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public void answerNext(int status, String body) {
        script.add(new Answer(status, body));
    }

    /**
     * The next request gets an answer's headers (200, announcing a 4 KiB body) and its first bytes, then nothing
     * more until {@link #close()}: a provider, or a proxy, that stalls mid-answer.
     */
    public void stallNext() {
        script.add(STALLS);
    }

    public static String metaError(int code, String message) {
        return "{\"error\":{\"message\":\"" + message + "\",\"type\":\"OAuthException\",\"code\":" + code
                + ",\"error_data\":{\"messaging_product\":\"whatsapp\",\"details\":\"" + message + "\"},\"fbtrace_id\":\"Az8or\"}}";
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    public List<Request> requestsTo(String recipient) {
        return requests.stream().filter(r -> r.body().contains("\"to\":\"" + recipient + "\"")).toList();
    }

    @Override
    public void close() {
        closed.countDown();
        server.stop(0);
    }
}

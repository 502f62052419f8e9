package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Over real HTTP on loopback: answers within the bound are read whole, larger ones fail however they are sent, and a
 * body that stalls after its headers fails the exchange at its timeout.
 */
class BoundedBodyTest {

    private static HttpServer server;
    private static final CountDownLatch testsOver = new CountDownLatch(1);
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @BeforeAll
    static void server() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/stalls", exchange -> {
            // Headers and a tenth of the body, then nothing until the test ends.
            exchange.sendResponseHeaders(200, 100);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write("{\"messages".getBytes(StandardCharsets.UTF_8));
                out.flush();
                testsOver.await(30, TimeUnit.SECONDS);
            } catch (IOException | InterruptedException closedByTheClient) {
                // the client gave up
            }
        });
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            byte[] body = path.startsWith("/latin1") ? "café".getBytes(StandardCharsets.ISO_8859_1)
                    : path.startsWith("/ten") ? "0123456789".getBytes(StandardCharsets.UTF_8)
                    : "01234567890".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", path.startsWith("/latin1") ? "text/plain; charset=ISO-8859-1"
                    : "application/json");
            // /chunked sends no length: only reading tells the size.
            exchange.sendResponseHeaders(200, path.endsWith("/chunked") ? 0 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            } catch (IOException closedByTheClient) {
                // the client stopped reading past its bound
            }
        });
        server.start();
    }

    @AfterAll
    static void stop() {
        testsOver.countDown();
        server.stop(0);
    }

    private static String get(String path, long maxBytes) throws Exception {
        return CLIENT.send(request(path), BoundedBody.upTo(maxBytes)).body();
    }

    @Test
    void readsAnAnswerUpToTheBoundInItsCharset() throws Exception {
        assertThat(get("/ten", 10)).isEqualTo("0123456789");
        assertThat(get("/ten/chunked", 10)).isEqualTo("0123456789");
        assertThat(get("/latin1", 100)).isEqualTo("café");
    }

    @Test
    void failsAnAnswerLargerThanTheBoundWhetherItsLengthIsDeclaredOrNot() {
        for (String path : new String[] {"/eleven", "/eleven/chunked"}) {
            IOException failure = catchThrowableOfType(IOException.class, () -> get(path, 10));
            assertThat(failure).as(path).isNotNull();
            assertThat(failure instanceof BoundedBody.TooLarge || failure.getCause() instanceof BoundedBody.TooLarge)
                    .as(path + ": " + failure).isTrue();
        }
    }

    @Test
    void sendReadsAWholeAnswerWithinTheTimeout() throws Exception {
        HttpResponse<String> answer = BoundedBody.send(CLIENT, request("/ten"), 10, Duration.ofSeconds(10));
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo("0123456789");
    }

    @Test
    @Timeout(20) // a bound, so that a client waiting for ever fails the test instead of hanging the build
    void sendFailsWithTheTimeoutWhenTheBodyStallsAfterTheHeaders() {
        // The client's own request timeout ends with the headers: alone, it would wait for the rest for ever.
        HttpRequest stalling = HttpRequest.newBuilder(URI.create(base() + "/stalls")).timeout(Duration.ofMillis(200)).build();
        assertThatThrownBy(() -> BoundedBody.send(CLIENT, stalling, 1000, Duration.ofMillis(500)))
                .isInstanceOf(HttpTimeoutException.class).hasMessageContaining("no whole answer within PT0.5S");
    }

    @Test
    void sendFailsWithTooLargeItselfWhenTheAnswerPassesTheBound() {
        assertThatThrownBy(() -> BoundedBody.send(CLIENT, request("/eleven/chunked"), 10, Duration.ofSeconds(10)))
                .isInstanceOf(BoundedBody.TooLarge.class);
    }

    private static String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static HttpRequest request(String path) {
        return HttpRequest.newBuilder(URI.create(base() + path)).build();
    }
}

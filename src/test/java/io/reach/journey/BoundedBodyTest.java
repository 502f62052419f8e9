package io.reach.journey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Over real HTTP on loopback: answers within the bound are read whole, larger ones fail however they are sent. */
class BoundedBodyTest {

    private static HttpServer server;
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @BeforeAll
    static void server() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
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
        server.stop(0);
    }

    private static String get(String path, long maxBytes) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path)).build();
        return CLIENT.send(request, BoundedBody.upTo(maxBytes)).body();
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
}

package io.reach.messaging.twilio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import com.twilio.exception.ApiConnectionException;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.type.PhoneNumber;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Twilio SDK's requests through the JDK's HTTP client, against a loopback server that answers whole or stalls. */
class BoundedTwilioHttpClientTest {

    private static final Duration REQUEST_TIMEOUT = Duration.ofMillis(500);
    private static final String ANSWERS = "AC" + "a".repeat(32);
    private static final String STALLS = "AC" + "b".repeat(32);
    private static final String TOKEN = "twilio-auth-token";

    private final CountDownLatch testOver = new CountDownLatch(1);
    private final AtomicReference<String> seen = new AtomicReference<>();
    private HttpServer server;
    private HttpClient http;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/2010-04-01/Accounts/" + ANSWERS + "/Messages.json", exchange -> {
            seen.set(exchange.getRequestMethod() + " " + exchange.getRequestURI() + "\n"
                    + exchange.getRequestHeaders().getFirst("Authorization") + "\n"
                    + exchange.getRequestHeaders().getFirst("Content-Type") + "\n"
                    + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] body = ("{\"sid\":\"SM" + "c".repeat(32) + "\",\"status\":\"queued\"}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(201, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.createContext("/2010-04-01/Accounts/" + STALLS + "/Messages.json", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(201, 200);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write("{\"sid\":\"SM".getBytes(StandardCharsets.UTF_8));
                out.flush();
                testOver.await(30, TimeUnit.SECONDS);
            } catch (IOException | InterruptedException closedByTheClient) {
                // the client gave up
            }
        });
        server.start();
        http = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor()).build();
    }

    @AfterEach
    void stop() {
        testOver.countDown();
        server.stop(0);
        http.close();
    }

    @Test
    void sendsTheSdksFormWithBasicAuthToTheConfiguredBaseUrlAndReadsTheAnswer() {
        Message message = Message.creator(new PhoneNumber("+31612345678"), new PhoneNumber("+14155552600"), "Hallo ✓")
                .setStatusCallback(URI.create("http://127.0.0.1:8080/webhooks/twilio/status/42"))
                .create(client(ANSWERS));

        assertThat(message.getSid()).isEqualTo("SM" + "c".repeat(32));
        String[] request = seen.get().split("\n", 4);
        assertThat(request[0]).isEqualTo("POST /2010-04-01/Accounts/" + ANSWERS + "/Messages.json");
        assertThat(request[1]).isEqualTo("Basic " + Base64.getEncoder()
                .encodeToString((ANSWERS + ":" + TOKEN).getBytes(StandardCharsets.UTF_8)));
        assertThat(request[2]).isEqualTo("application/x-www-form-urlencoded");
        assertThat(form(request[3])).containsExactlyInAnyOrderEntriesOf(Map.of("To", "+31612345678",
                "From", "+14155552600", "Body", "Hallo ✓", "StatusCallback", "http://127.0.0.1:8080/webhooks/twilio/status/42"));
    }

    @Test
    @Timeout(20) // a bound, so that a client waiting for ever fails the test instead of hanging the build
    void givesUpOnAnAnswerThatStallsAfterItsHeadersOnceTheRequestTimeoutIsOver() {
        // The SDK's own client only bounds the wait between two packets: this answer would hold the dispatcher's
        // thread for ever, and its SMS, once its lease ran out, would be claimed and sent a second time.
        assertThatThrownBy(() -> Message.creator(new PhoneNumber("+31612345678"), new PhoneNumber("+14155552600"), "Hallo")
                .create(client(STALLS)))
                .isInstanceOf(ApiConnectionException.class)
                .hasMessageContaining("No whole answer from Twilio within PT0.5S");
    }

    private TwilioRestClient client(String accountSid) {
        return new TwilioRestClient.Builder(accountSid, TOKEN)
                .httpClient(new BoundedTwilioHttpClient(http, "http://127.0.0.1:" + server.getAddress().getPort() + "/",
                        REQUEST_TIMEOUT))
                .build();
    }

    private static Map<String, String> form(String body) {
        return java.util.Arrays.stream(body.split("&")).map(pair -> pair.split("=", 2))
                .collect(Collectors.toMap(pair -> URLDecoder.decode(pair[0], StandardCharsets.UTF_8),
                        pair -> URLDecoder.decode(pair[1], StandardCharsets.UTF_8)));
    }
}

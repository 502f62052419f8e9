package io.reach.messaging.twilio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.twilio.exception.ApiConnectionException;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.type.PhoneNumber;
import io.reach.support.FakeProvider;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Twilio SDK's requests through the JDK's HTTP client, against a loopback server that answers whole or stalls. */
class BoundedTwilioHttpClientTest {

    private static final Duration REQUEST_TIMEOUT = Duration.ofMillis(500);
    private static final String ACCOUNT = "AC" + "a".repeat(32);
    private static final String TOKEN = "twilio-auth-token";

    private final FakeProvider twilio = new FakeProvider((n, request) -> new FakeProvider.Answer(201,
            "{\"sid\":\"SM" + "c".repeat(32) + "\",\"status\":\"queued\"}"));
    private final HttpClient http = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor()).build();

    @AfterEach
    void stop() {
        twilio.close();
        http.close();
    }

    @Test
    void sendsTheSdksFormWithBasicAuthToTheConfiguredBaseUrlAndReadsTheAnswer() {
        Message message = Message.creator(new PhoneNumber("+31612345678"), new PhoneNumber("+14155552600"), "Hallo ✓")
                .setStatusCallback(URI.create("http://127.0.0.1:8080/webhooks/twilio/status/42"))
                .create(client());

        assertThat(message.getSid()).isEqualTo("SM" + "c".repeat(32));
        FakeProvider.Request request = twilio.requests().getFirst();
        assertThat(request.method() + " " + request.path()).isEqualTo("POST /2010-04-01/Accounts/" + ACCOUNT + "/Messages.json");
        assertThat(request.header("Authorization")).isEqualTo("Basic " + Base64.getEncoder()
                .encodeToString((ACCOUNT + ":" + TOKEN).getBytes(StandardCharsets.UTF_8)));
        assertThat(request.header("Content-Type")).isEqualTo("application/x-www-form-urlencoded");
        assertThat(form(request.body())).containsExactlyInAnyOrderEntriesOf(Map.of("To", "+31612345678",
                "From", "+14155552600", "Body", "Hallo ✓", "StatusCallback", "http://127.0.0.1:8080/webhooks/twilio/status/42"));
    }

    @Test
    @Timeout(20) // a bound, so that a client waiting for ever fails the test instead of hanging the build
    void givesUpOnAnAnswerThatStallsAfterItsHeadersOnceTheRequestTimeoutIsOver() {
        // The SDK's own client only bounds the wait between two packets: this answer would hold the dispatcher's
        // thread for ever, and its SMS, once its lease ran out, would be claimed and sent a second time.
        twilio.stallNext();
        assertThatThrownBy(() -> Message.creator(new PhoneNumber("+31612345678"), new PhoneNumber("+14155552600"), "Hallo")
                .create(client()))
                .isInstanceOf(ApiConnectionException.class)
                .hasMessageContaining("No whole answer from Twilio within PT0.5S");
    }

    private TwilioRestClient client() {
        return new TwilioRestClient.Builder(ACCOUNT, TOKEN)
                .httpClient(new BoundedTwilioHttpClient(http, twilio.baseUrl() + "/", REQUEST_TIMEOUT))
                .build();
    }

    private static Map<String, String> form(String body) {
        return Arrays.stream(body.split("&")).map(pair -> pair.split("=", 2))
                .collect(Collectors.toMap(pair -> URLDecoder.decode(pair[0], StandardCharsets.UTF_8),
                        pair -> URLDecoder.decode(pair[1], StandardCharsets.UTF_8)));
    }
}

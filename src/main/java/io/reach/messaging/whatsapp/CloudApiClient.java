package io.reach.messaging.whatsapp;

import io.reach.messaging.MessageError;
import io.reach.sender.WhatsAppAccount;
import io.reach.shared.BoundedBody;
import io.reach.shared.Texts;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Meta's Cloud API send endpoint: {@code POST {base}/{version}/{phone-number-id}/messages} with the sender's bearer
 * token. It sends the request body it is given unchanged, with Reach's message id as {@code Idempotency-Key}
 * (the sandbox honours it; Meta ignores it, and Reach's lease and status matching keep real retries rare).
 */
@Component
class CloudApiClient {

    private static final Logger log = LoggerFactory.getLogger(CloudApiClient.class);

    /** The largest answer read: Meta's are a few hundred bytes. */
    static final long MAX_ANSWER_BYTES = 1024 * 1024;

    private final HttpClient http;
    private final JsonMapper json;
    private final Duration requestTimeout;

    CloudApiClient(WhatsAppSettings settings, JsonMapper json) {
        this.http = BoundedBody.http1Client(settings.connectTimeout());
        this.json = json;
        this.requestTimeout = settings.requestTimeout();
    }

    SendOutcome send(WhatsAppAccount account, String requestBody, String idempotencyKey) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(account.messagesUrl()))
                .timeout(requestTimeout)
                .header("Authorization", "Bearer " + account.credentials().accessToken())
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", idempotencyKey)
                .POST(HttpRequest.BodyPublishers.ofString(requestBody))
                .build();
        HttpResponse<String> response;
        try {
            // The whole exchange within the timeout, the body included: the client's own timeout ends with the headers,
            // and a send held longer than its lease would be claimed and sent again.
            response = BoundedBody.send(http, request, MAX_ANSWER_BYTES, requestTimeout);
        } catch (HttpConnectTimeoutException | ConnectException e) {
            // No connection, so no request: Meta cannot have taken it.
            return new SendOutcome.Retry(new MessageError(0, "Could not reach Meta's Cloud API; retrying",
                    e.getClass().getSimpleName() + ": " + e.getMessage()), null, false);
        } catch (HttpTimeoutException e) {
            return new SendOutcome.Retry(new MessageError(0, "Timed out waiting for Meta's answer; retrying", null), null, true);
        } catch (IOException e) {
            return new SendOutcome.Retry(new MessageError(0, "Lost the connection to Meta's Cloud API before its answer; retrying",
                    e.getClass().getSimpleName() + ": " + e.getMessage()), null, true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new SendOutcome.Retry(new MessageError(0, "Interrupted while sending; retrying", null), null, true);
        }
        return interpret(response);
    }

    private SendOutcome interpret(HttpResponse<String> response) {
        int status = response.statusCode();
        JsonNode body = parse(response.body());
        if (status >= 200 && status < 300) {
            String id = body == null ? null : body.path("messages").path(0).path("id").asString(null);
            if (id == null || id.isBlank()) {
                // Meta answered success without an id: retrying could send twice, so this is recorded as a failure.
                return new SendOutcome.Rejected(new MessageError(0, "Meta accepted the call but named no message", Texts.clip(response.body(), 500)));
            }
            return new SendOutcome.Accepted(id);
        }
        JsonNode error = body == null ? null : body.path("error");
        int code = error == null || !error.path("code").canConvertToInt() ? 0 : error.path("code").asInt();
        String metaMessage = error == null ? null : error.path("message").asString(null);
        String details = error == null ? null : error.path("error_data").path("details").asString(null);
        if (details == null) {
            details = metaMessage;
        }
        Duration retryAfter = response.headers().firstValue("Retry-After").flatMap(CloudApiClient::seconds).orElse(null);
        log.debug("Cloud API answered HTTP {} with error code {}", status, code);
        if (MetaErrors.asksToSlowDown(code) || code == 0 && status == 429) {
            int effective = code != 0 ? code : status;
            return new SendOutcome.SlowDown(new MessageError(effective, code != 0 ? MetaErrors.describe(code, metaMessage)
                    : "Meta answered HTTP 429 (too many requests); retrying", details), retryAfter);
        }
        if (code != 0 && MetaErrors.isTransient(code) || status >= 500) {
            int effective = code != 0 ? code : status;
            return new SendOutcome.Retry(new MessageError(effective, code != 0 ? MetaErrors.describe(code, metaMessage)
                    : "Meta answered HTTP " + status + "; retrying", details), retryAfter);
        }
        int effective = code != 0 ? code : status;
        return new SendOutcome.Rejected(new MessageError(effective,
                code != 0 ? MetaErrors.describe(code, metaMessage) : "Meta answered HTTP " + status, details));
    }

    private JsonNode parse(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return json.readTree(text);
        } catch (JacksonException e) {
            return null;
        }
    }

    private static Optional<Duration> seconds(String header) {
        try {
            return Optional.of(Duration.ofSeconds(Long.parseLong(header.trim())));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}

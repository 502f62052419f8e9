package io.reach.messaging.whatsapp;

import io.reach.sender.Sender;
import io.reach.sender.WhatsAppAccount;
import io.reach.shared.BoundedBody;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads from Meta's Graph API with a sender's token ({@code GET {base}/{version}/{path}}): what Reach asks Meta about an
 * account rather than sends, its templates and its number.
 */
@Component
class GraphApiReads {

    /** The largest answer read: a page of 100 templates of a few KiB each. */
    static final long MAX_ANSWER_BYTES = 8L * 1024 * 1024;

    /** Meta answered with an error, or with no JSON object: {@code meta} says so in Meta's words where it gave them. */
    static final class Refused extends Exception {
        final String meta;

        Refused(String meta) {
            super(meta);
            this.meta = meta;
        }
    }

    /** No answer came: no connection, a lost one, or none within the request timeout. */
    static final class Unreachable extends Exception {
        Unreachable(String reason) {
            super(reason);
        }
    }

    private final HttpClient http;
    private final Duration requestTimeout;
    private final JsonMapper json;

    GraphApiReads(WhatsAppSettings settings, JsonMapper json) {
        this.http = BoundedBody.http1Client(settings.connectTimeout());
        this.requestTimeout = settings.requestTimeout();
        this.json = json;
    }

    /** {@code path} after the version, with its query: {@code 1234/message_templates?limit=100}. */
    JsonNode get(WhatsAppAccount account, String path) throws Refused, Unreachable {
        Sender sender = account.sender();
        String url = sender.graphApiBaseUrl().replaceAll("/+$", "") + "/" + sender.graphApiVersion() + "/" + path;
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(requestTimeout)
                .header("Authorization", "Bearer " + account.credentials().accessToken()).GET().build();
        String where = "Meta's Graph API (" + sender.graphApiBaseUrl() + ")";
        HttpResponse<String> response;
        try {
            response = BoundedBody.send(http, request, MAX_ANSWER_BYTES, requestTimeout);
        } catch (HttpTimeoutException e) {
            throw new Unreachable(where + " did not answer within " + requestTimeout.toSeconds() + " s");
        } catch (IOException e) {
            throw new Unreachable("Could not reach " + where + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unreachable("Interrupted while waiting for " + where);
        }
        JsonNode body;
        try {
            body = json.readTree(response.body());
        } catch (JacksonException e) {
            body = null;
        }
        if (response.statusCode() / 100 != 2 || body == null || !body.isObject()) {
            JsonNode error = body == null ? null : body.path("error");
            throw new Refused(error == null || !error.isObject() ? "HTTP " + response.statusCode()
                    : "(#" + error.path("code").asString("?") + ") " + error.path("message").asString(""));
        }
        return body;
    }
}

package io.reach.messaging.twilio;

import com.twilio.constant.EnumConstants;
import com.twilio.exception.ApiConnectionException;
import com.twilio.http.HttpMethod;
import com.twilio.http.Request;
import com.twilio.http.Response;
import io.reach.shared.BoundedBody;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.message.BasicHeader;

/**
 * Sends the Twilio SDK's requests with the JDK's HTTP client, each exchange bounded as a whole: the SDK's own client
 * only bounds the wait for each packet (about 30 s), so an answer that trickles in or stalls after its headers would
 * hold a dispatcher thread past its message's lease, and another claim would send the SMS or place the call again.
 * Optionally sends to another base URL than the SDK's (the sandbox, a test server, a proxy); the path, the query,
 * the form and the auth stay the SDK's.
 */
final class BoundedTwilioHttpClient extends com.twilio.http.HttpClient {

    /** The largest answer read: Twilio's are a few kilobytes. */
    static final long MAX_ANSWER_BYTES = 1024 * 1024;

    private final HttpClient http;
    private final URI base;
    private final Duration requestTimeout;

    /** {@code baseUrl} null: the URL the SDK built (api.twilio.com, or its region and edge). */
    BoundedTwilioHttpClient(HttpClient http, String baseUrl, Duration requestTimeout) {
        this.http = http;
        this.base = baseUrl == null ? null : URI.create(baseUrl.replaceAll("/+$", ""));
        this.requestTimeout = requestTimeout;
    }

    @Override
    public Response makeRequest(Request request) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(target(request))
                .timeout(requestTimeout)
                .setHeader("Accept", "application/json");
        // The first value replaces a header set above (Accept); the others add to it.
        request.getHeaderParams().forEach((name, values) -> {
            if (!values.isEmpty()) {
                builder.setHeader(name, values.getFirst());
                values.stream().skip(1).forEach(value -> builder.header(name, value));
            }
        });
        if (request.requiresAuthentication()) {
            builder.setHeader("Authorization", request.getAuthString());
        }
        HttpMethod method = request.getMethod();
        if (method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.PATCH) {
            EnumConstants.ContentType type = request.getContentType() == null
                    ? EnumConstants.ContentType.FORM_URLENCODED : request.getContentType();
            String body = switch (type) {
                case FORM_URLENCODED -> request.encodeFormBody();
                case JSON -> request.getBody();
                // Reach creates messages and calls, whose requests are forms; files are not uploaded.
                default -> throw new ApiConnectionException("Twilio requests of type " + type.getValue()
                        + " are not supported by Reach's HTTP client");
            };
            builder.setHeader("Content-Type", type.getValue())
                    .method(method.toString(), HttpRequest.BodyPublishers.ofString(body == null ? "" : body));
        } else {
            builder.method(method.toString(), HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> response;
        try {
            response = BoundedBody.send(http, builder.build(), MAX_ANSWER_BYTES, requestTimeout);
        } catch (HttpTimeoutException e) {
            throw new ApiConnectionException("No whole answer from Twilio within " + requestTimeout, e);
        } catch (IOException e) {
            throw new ApiConnectionException("Twilio could not be reached: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiConnectionException("Interrupted while waiting for Twilio's answer", e);
        }
        Header[] headers = response.headers().map().entrySet().stream()
                .flatMap(header -> header.getValue().stream().map(value -> new BasicHeader(header.getKey(), value)))
                .toArray(Header[]::new);
        return new Response(response.body(), response.statusCode(), headers);
    }

    /** The SDK's URL (its query included), moved to the configured base URL if there is one. */
    private URI target(Request request) {
        URI built;
        try {
            built = request.constructURL().toURI();
        } catch (URISyntaxException e) {
            throw new ApiConnectionException("Bad Twilio URL: " + e.getMessage(), e);
        }
        if (base == null) {
            return built;
        }
        return URI.create(base + built.getRawPath() + (built.getRawQuery() == null ? "" : "?" + built.getRawQuery()));
    }
}

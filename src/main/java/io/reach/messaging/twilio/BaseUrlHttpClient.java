package io.reach.messaging.twilio;

import com.twilio.http.NetworkHttpClient;
import com.twilio.http.Request;
import com.twilio.http.Response;
import java.net.URI;

/**
 * The Twilio SDK's own HTTP client, sending to another base URL than api.twilio.com (the sandbox, a test server, a
 * proxy). Everything else about the request (path, form, auth) is the SDK's.
 */
final class BaseUrlHttpClient extends NetworkHttpClient {

    private final URI base;

    BaseUrlHttpClient(String baseUrl) {
        this.base = URI.create(baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl);
    }

    @Override
    public Response makeRequest(Request request) {
        URI original = URI.create(request.getUrl());
        String url = base + original.getRawPath() + (original.getRawQuery() == null ? "" : "?" + original.getRawQuery());
        Request moved = new Request(request.getMethod(), url);
        if (request.getAuthStrategy() != null) {
            moved.setAuth(request.getAuthStrategy());
        } else if (request.getUsername() != null) {
            moved.setAuth(request.getUsername(), request.getPassword());
        }
        request.getQueryParams().forEach((name, values) -> values.forEach(v -> moved.addQueryParam(name, v)));
        request.getPostParams().forEach((name, values) -> values.forEach(v -> moved.addPostParam(name, v)));
        request.getHeaderParams().forEach((name, values) -> values.forEach(v -> moved.addHeaderParam(name, v)));
        if (request.getContentType() != null) {
            moved.setContentType(request.getContentType());
        }
        if (request.getBody() != null) {
            moved.setBody(request.getBody());
        }
        return super.makeRequest(moved);
    }
}

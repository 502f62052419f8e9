package io.reach.shared;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.databind.json.JsonMapper;

/** Requires {@code Authorization: Bearer <token>} on everything under /api/, and on the metrics (/actuator/prometheus). */
@Component
class ApiTokenFilter extends OncePerRequestFilter {

    // Behind the token as the API is (they tell how busy Reach is, and the JVM's and the pool's state); health stays open
    // for load balancers.
    static final String METRICS = "/actuator/prometheus";

    private final byte[] expected;
    private final JsonMapper json;

    ApiTokenFilter(ApiToken token, JsonMapper json) {
        this.expected = token.value().getBytes(StandardCharsets.UTF_8);
        this.json = json;
    }

    /**
     * Judged on the path as the handlers are matched on it, decoded and without ";" parameters (UrlPathHelper's
     * defaults). The raw request URI is not: {@code /api;x=1/v1/contacts} and {@code /%61pi/v1/contacts} reach the
     * API's handlers, and did without a token.
     */
    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = org.springframework.web.util.UrlPathHelper.defaultInstance.getPathWithinApplication(request);
        return !(path.equals("/api") || path.startsWith("/api/") || path.startsWith(METRICS));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader("Authorization");
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            byte[] presented = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
            if (MessageDigest.isEqual(presented, expected)) {
                chain.doFilter(request, response);
                return;
            }
        }
        response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
        response.setHeader("WWW-Authenticate", "Bearer");
        response.setContentType("application/json");
        json.writeValue(response.getOutputStream(), new ApiError("unauthorized",
                "Send the API token as 'Authorization: Bearer <token>' (see README: it is in data/api-token by default)",
                java.util.List.of()));
    }
}

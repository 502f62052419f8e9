package io.reach.shared;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.regex.Pattern;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.UrlPathHelper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Requires {@code Authorization: Bearer <token>} on everything under /api/, and under /actuator/ but its health and info
 * (the metrics, and any endpoint an operator exposes as well).
 */
@Component
@Order(Ordered.LOWEST_PRECEDENCE - 1)
class ApiTokenFilter extends OncePerRequestFilter {

    // Open: a load balancer's health checks (Kubernetes' probes under /actuator/health/) and the empty info. Every other
    // endpoint is behind the token as the API is: the metrics tell how busy Reach is, and one an operator exposes
    // (env, heapdump, …) may tell its secrets.
    private static final Pattern OPEN_ACTUATOR = Pattern.compile(
            "/actuator/(health|health/.*|info)");
    private static final Pattern DOT_SEGMENT = Pattern.compile("/\\.\\.?(/|$)");

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
        String path = pathOf(request);
        boolean api = isApi(path);
        // A "." or ".." segment is judged guarded, should a container or a proxy in front resolve it after this filter
        // (/actuator/health/../env reaches no handler here today).
        boolean open = OPEN_ACTUATOR.matcher(path).matches() && !DOT_SEGMENT.matcher(path).find();
        boolean actuator = (path.equals("/actuator") || path.startsWith("/actuator/")) && !open;
        return !(api || actuator);
    }

    /** The path as the handlers are matched on it (see {@link #shouldNotFilter}). */
    static String pathOf(HttpServletRequest request) {
        return UrlPathHelper.defaultInstance.getPathWithinApplication(request);
    }

    /** Whether {@code path} (as {@link #pathOf} gives it) is the API's. */
    static boolean isApi(String path) {
        return path.equals("/api") || path.startsWith("/api/");
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
                List.of()));
    }
}

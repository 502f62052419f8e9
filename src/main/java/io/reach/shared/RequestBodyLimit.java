package io.reach.shared;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.databind.json.JsonMapper;

/**
 * Refuses an API request whose JSON body is larger than {@code reach.api.max-body-size} (413 {@code too_large}) before
 * it is read: a JSON body is held in memory whole to be parsed, and a wrong file posted by mistake (a 2 GB export
 * instead of a flow) would fill the heap of a node that runs journeys. The contacts' CSV import streams its lines and
 * is not bounded; the providers' webhooks have bounds of their own. After the token's check: a caller without it learns
 * nothing of the limit.
 */
@Component
@Order(Ordered.LOWEST_PRECEDENCE)
class RequestBodyLimit extends OncePerRequestFilter {

    static final String SETTING = "reach.api.max-body-size";

    private final int maxBytes;
    private final String max;
    private final JsonMapper json;

    RequestBodyLimit(@Value("${" + SETTING + ":8MB}") DataSize max, JsonMapper json) {
        if (max.toBytes() < 1 || max.toBytes() >= Integer.MAX_VALUE) {
            throw new InvalidConfigurationPropertyValueException(SETTING, max, "it must be above zero and under 2GB");
        }
        this.maxBytes = (int) max.toBytes();
        this.max = readable(max);
        this.json = json;
    }

    /**
     * Tomcat answers {@code Expect: 100-continue} when the body is first read, not at once: a body refused on its
     * declared length is then never sent (curl asks so for a body over 1 MB). Sent all the same, a refused body is
     * swallowed up to 2 MB (Tomcat's {@code max-swallow-size}) and the connection then closed, which a client that sends
     * on without reading can see as a reset rather than the answer.
     */
    @Bean
    static TomcatConnectorCustomizer continueWhenTheBodyIsRead() {
        return connector -> connector.setProperty("continueResponseTiming", "onRead");
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !(isJson(request.getContentType()) && ApiTokenFilter.isApi(ApiTokenFilter.pathOf(request)));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        long declared = request.getContentLengthLong();
        if (declared > maxBytes) {
            refuse(response);
            return;
        }
        if (declared >= 0) {
            // The container reads no more than the declared length.
            chain.doFilter(request, response);
            return;
        }
        // Sent in chunks, without a length: read up to the bound to know (the body is parsed whole anyway).
        byte[] body = request.getInputStream().readNBytes(maxBytes + 1);
        if (body.length > maxBytes) {
            refuse(response);
            return;
        }
        chain.doFilter(new ReadBody(request, body), response);
    }

    private void refuse(HttpServletResponse response) throws IOException {
        response.setStatus(HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE);
        response.setContentType(MediaType.APPLICATION_JSON_VALUE);
        json.writeValue(response.getOutputStream(), new ApiError("too_large",
                "The request body is larger than " + max + ", the most Reach reads (" + SETTING + ")", List.of()));
    }

    private static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        try {
            MediaType type = MediaType.parseMediaType(contentType);
            return type.isCompatibleWith(MediaType.APPLICATION_JSON) || type.getSubtype().endsWith("+json");
        } catch (IllegalArgumentException unreadable) {
            // Refused as an unsupported media type further on (a character set Java does not know included).
            return false;
        }
    }

    /** As the setting is written: 8MB, 512KB, 1000B. */
    static String readable(DataSize size) {
        long bytes = size.toBytes();
        return bytes % (1024 * 1024) == 0 ? bytes / (1024 * 1024) + "MB"
                : bytes % 1024 == 0 ? bytes / 1024 + "KB" : bytes + "B";
    }

    /** The request with its body already read into memory. */
    private static final class ReadBody extends HttpServletRequestWrapper {

        private final byte[] body;

        ReadBody(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] buffer, int offset, int length) {
                    return in.read(buffer, offset, length);
                }

                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new UnsupportedOperationException("the body is already read");
                }
            };
        }

        @Override
        public BufferedReader getReader() {
            String encoding = getCharacterEncoding();
            Charset charset = encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding);
            return new BufferedReader(new InputStreamReader(getInputStream(), charset));
        }

        @Override
        public int getContentLength() {
            return body.length;
        }

        @Override
        public long getContentLengthLong() {
            return body.length;
        }
    }
}

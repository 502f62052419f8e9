package io.reach.shared;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;

/** A page of a list answered with a {@code Link: <…&after=last>; rel="next"} header when it is full. */
public final class Pages {

    /** How the API document describes that header. */
    public static final String NEXT_LINK = "on a full page, the next one: <path?…&after=last id>; rel=\"next\"";

    private Pages() {}

    /**
     * The page, with the link to the next one when it holds {@code limit} items: {@code path} (with its query, which
     * has at least one parameter) and {@code after=} the last item's id.
     */
    public static <T> ResponseEntity<List<T>> withNextLink(List<T> page, int limit, String path, Function<T, Object> idOf) {
        ResponseEntity.BodyBuilder ok = ResponseEntity.ok();
        if (!page.isEmpty() && page.size() == limit) {
            ok.header(HttpHeaders.LINK, "<" + path + "&after=" + idOf.apply(page.getLast()) + ">; rel=\"next\"");
        }
        return ok.body(page);
    }

    /** Refuses a page of fewer than 1 or more than 1,000 items, or a negative offset (0 where a list has none). */
    public static void checkLimit(int limit, int offset) {
        if (limit < 1 || limit > 1000) {
            throw ApiException.invalidField("limit", "must be between 1 and 1000");
        }
        if (offset < 0) {
            throw ApiException.invalidField("offset", "must not be negative");
        }
    }

    /** Refuses a request that gives both a cursor and an offset: they would say two different pages. */
    public static void afterOrOffset(String after, int offset) {
        if (after != null && offset > 0) {
            throw ApiException.invalidField("offset", "give after or offset, not both");
        }
    }

    /** A query parameter's value as a URL carries it. */
    public static String encoded(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}

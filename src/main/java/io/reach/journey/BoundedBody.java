package io.reach.journey;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * An HTTP answer's body as text, read up to a bound: a larger one (declared, or found so while reading) fails the
 * exchange with {@link TooLarge} instead of filling the heap, whatever a backend sends.
 */
final class BoundedBody implements HttpResponse.BodySubscriber<String> {

    /** The answer is larger than the bound. */
    static final class TooLarge extends IOException {
        TooLarge(long maxBytes) {
            super("the answer is larger than " + maxBytes + " bytes");
        }
    }

    private final long maxBytes;
    private final long declaredLength;
    private final Charset charset;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CompletableFuture<String> body = new CompletableFuture<>();
    private Flow.Subscription subscription;

    private BoundedBody(long maxBytes, HttpResponse.ResponseInfo info) {
        this.maxBytes = maxBytes;
        this.declaredLength = info.headers().firstValueAsLong("Content-Length").orElse(-1);
        this.charset = charsetOf(info);
    }

    /** Reads bodies of at most {@code maxBytes}. */
    static HttpResponse.BodyHandler<String> upTo(long maxBytes) {
        return info -> new BoundedBody(maxBytes, info);
    }

    @Override
    public CompletionStage<String> getBody() {
        return body;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        this.subscription = subscription;
        if (declaredLength > maxBytes) {
            tooLarge();
            return;
        }
        subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
        for (ByteBuffer item : items) {
            // After a cancel, buffers already on their way may still come.
            if (body.isDone()) {
                return;
            }
            if (bytes.size() + (long) item.remaining() > maxBytes) {
                tooLarge();
                return;
            }
            byte[] chunk = new byte[item.remaining()];
            item.get(chunk);
            bytes.write(chunk, 0, chunk.length);
        }
    }

    @Override
    public void onError(Throwable failure) {
        body.completeExceptionally(failure);
    }

    @Override
    public void onComplete() {
        body.complete(bytes.toString(charset));
    }

    private void tooLarge() {
        subscription.cancel();
        body.completeExceptionally(new TooLarge(maxBytes));
    }

    private static Charset charsetOf(HttpResponse.ResponseInfo info) {
        String type = info.headers().firstValue("Content-Type").orElse("");
        for (String parameter : type.split(";")) {
            String[] pair = parameter.trim().split("=", 2);
            if (pair.length == 2 && pair[0].equalsIgnoreCase("charset")) {
                try {
                    return Charset.forName(pair[1].replace("\"", "").trim());
                } catch (IllegalArgumentException unknown) {
                    return StandardCharsets.UTF_8;
                }
            }
        }
        return StandardCharsets.UTF_8;
    }
}

package io.reach.shared;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An HTTP answer's body as text, read up to a bound: a larger one (declared, or found so while reading) fails the
 * exchange with {@link TooLarge} instead of filling the heap, whatever a backend sends.
 */
public final class BoundedBody implements HttpResponse.BodySubscriber<String> {

    /** The answer is larger than the bound. */
    public static final class TooLarge extends IOException {
        TooLarge(long maxBytes) {
            super("the answer is larger than " + maxBytes + " bytes");
        }
    }

    /**
     * An HTTP/1.1 client whose exchanges run on virtual threads, for the providers Reach posts to (one connection per
     * exchange in flight, no HTTP/2 upgrade attempt), connecting within {@code connectTimeout}.
     */
    public static HttpClient http1Client(Duration connectTimeout) {
        return HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .version(HttpClient.Version.HTTP_1_1)
                .build();
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
    public static HttpResponse.BodyHandler<String> upTo(long maxBytes) {
        return info -> new BoundedBody(maxBytes, info);
    }

    /**
     * Sends {@code request} and reads its answer's body of at most {@code maxBytes}, the whole exchange within
     * {@code timeout}: the client's own request timeout ends when the headers come, and a server that then trickles
     * or stalls its body would hold the caller (and whatever lease it holds) for as long as it likes. Past the
     * timeout the exchange is cancelled and {@link HttpTimeoutException} thrown; a failed exchange throws its
     * {@link IOException} ({@link TooLarge} among them), or one that wraps what else it failed with.
     */
    public static HttpResponse<String> send(HttpClient http, HttpRequest request, long maxBytes, Duration timeout)
            throws IOException, InterruptedException {
        CompletableFuture<HttpResponse<String>> exchange = http.sendAsync(request, upTo(maxBytes));
        try {
            return exchange.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            exchange.cancel(true);
            throw new HttpTimeoutException("no whole answer within " + timeout);
        } catch (InterruptedException e) {
            exchange.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException && e.getCause().getCause() != null
                    ? e.getCause().getCause() : e.getCause();
            throw cause instanceof IOException io ? io : new IOException(cause);
        }
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

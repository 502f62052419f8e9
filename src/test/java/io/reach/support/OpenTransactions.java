package io.reach.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.springframework.transaction.support.TransactionTemplate;

/** Looks at the database from outside a transaction that is still open: what its locks hold back, for example. */
public final class OpenTransactions {

    private OpenTransactions() {}

    /** What the open transaction did, and what was seen meanwhile. */
    public record Seen<T, R>(T inside, R meanwhile) {}

    /**
     * Runs {@code inside} in a transaction on another thread and, while that transaction is still open (before it
     * commits), {@code meanwhile} on this one.
     */
    public static <T, R> Seen<T, R> whileOpen(TransactionTemplate transactions, Supplier<T> inside, Supplier<R> meanwhile)
            throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        CountDownLatch looked = new CountDownLatch(1);
        AtomicReference<T> result = new AtomicReference<>();
        try (ExecutorService other = Executors.newSingleThreadExecutor()) {
            Future<?> work = other.submit(() -> transactions.executeWithoutResult(tx -> {
                result.set(inside.get());
                done.countDown();
                try {
                    looked.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
            assertThat(done.await(30, TimeUnit.SECONDS)).as("the work inside the transaction was done").isTrue();
            R seen;
            try {
                seen = meanwhile.get();
            } finally {
                looked.countDown();
            }
            work.get();
            return new Seen<>(result.get(), seen);
        }
    }
}

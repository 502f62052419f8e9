package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.dao.CannotAcquireLockException;
import org.springframework.dao.PessimisticLockingFailureException;

@ExtendWith(OutputCaptureExtension.class)
class BackgroundWorkerTest {

    /** Claims up to two items at a time from a queue and records each claim and each item it handled. */
    private static class QueueWorker extends BackgroundWorker {
        final Queue<String> due = new ConcurrentLinkedQueue<>();
        final List<String> handled = new CopyOnWriteArrayList<>();
        final AtomicInteger claims = new AtomicInteger();
        private final InFlight items = inFlight(2);

        QueueWorker() {
            // A poll far longer than any test: only a wake-up or the worker's own looping makes it claim again.
            super("test-worker", Duration.ofMinutes(10), true);
        }

        @Override
        protected int doWork() {
            return items.claimAsFree(2, wanted -> {
                claims.incrementAndGet();
                List<String> claimed = new ArrayList<>();
                for (String item; claimed.size() < wanted && (item = due.poll()) != null; ) {
                    claimed.add(item);
                }
                return claimed;
            }, handled::add);
        }
    }

    private final QueueWorker worker = new QueueWorker();

    @AfterEach
    void stop() {
        worker.stop();
    }

    @Test
    void claimsAgainAtOnceWhileClaimsComeBackFull() {
        worker.due.addAll(List.of("a", "b", "c", "d", "e"));
        worker.start();

        // Two at most a claim and no wake-up: all five are handled only if full claims are followed at once.
        await().atMost(Duration.ofSeconds(10)).until(() -> worker.handled.size() == 5);
        assertThat(worker.handled).containsExactlyInAnyOrder("a", "b", "c", "d", "e");
        assertThat(worker.claims.get()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void waitsForAWakeUpAfterAClaimThatCameBackShortInsteadOfClaimingInVain() {
        worker.due.add("a");
        worker.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> worker.handled.contains("a"));

        // No empty claim follows the short one while nothing wakes the worker.
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> worker.claims.get() == 1);

        worker.due.add("b");
        worker.wake();
        await().atMost(Duration.ofSeconds(10)).until(() -> worker.handled.contains("b"));
        assertThat(worker.claims).hasValue(2);
    }

    @Test
    void aWakeUpDuringAClaimIsKeptForTheWaitThatFollows() {
        QueueWorker racing = new QueueWorker() {
            @Override
            protected int doWork() {
                int handled = super.doWork();
                if (claims.get() == 1) {
                    // New work comes, and its wake-up, after the first (short) claim looked and before the worker waits.
                    due.add("late");
                    wake();
                }
                return handled;
            }
        };
        try {
            racing.due.add("early");
            racing.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> racing.handled.contains("late"));
            assertThat(racing.handled).containsExactlyInAnyOrder("early", "late");
        } finally {
            racing.stop();
        }
    }

    @Test
    void countsTheItemsItRunsAgainstItsLimitAndTheWorkItFailed() {
        Queue<String> due = new ConcurrentLinkedQueue<>(List.of("a", "b", "c", "fails"));
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger claims = new AtomicInteger();
        BackgroundWorker sending = new BackgroundWorker("test-sender", Duration.ofMinutes(10), true) {
            private final InFlight sends = inFlight(2);

            @Override
            protected int doWork() {
                if (claims.incrementAndGet() == 1) {
                    throw new IllegalStateException("the first claim fails");
                }
                return sends.claimAsFree(2, wanted -> {
                    List<String> claimed = new ArrayList<>();
                    for (String item; claimed.size() < wanted && (item = due.poll()) != null; ) {
                        claimed.add(item);
                    }
                    return claimed;
                }, item -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    if (item.equals("fails")) {
                        throw new IllegalStateException("this item fails");
                    }
                });
            }
        };
        assertThat(sending.itemsAtOnce()).isEqualTo(2);
        try {
            sending.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> sending.itemsUnderWay() == 2);
            assertThat(sending.failures()).as("the failed claim").isEqualTo(1);

            release.countDown();
            await().atMost(Duration.ofSeconds(10)).until(() -> due.isEmpty() && sending.itemsUnderWay() == 0);
            await().atMost(Duration.ofSeconds(10)).until(() -> sending.failures() == 2);
        } finally {
            release.countDown();
            sending.stop();
        }
        assertThat(sending.name()).isEqualTo("test-sender");
    }

    @Test
    void aDeadlockThatPassesIsOneLineAtInfoAndFailuresInARowOrOfItsOwnAreWarnings(CapturedOutput output) {
        AtomicInteger units = new AtomicInteger();
        BackgroundWorker launching = new BackgroundWorker("test-launches", Duration.ofMinutes(10), true) {
            @Override
            protected int doWork() {
                return switch (units.incrementAndGet()) {
                    case 1 -> throw new PessimisticLockingFailureException("deadlock detected");
                    case 2 -> 1; // the next attempt went through
                    case 3, 4 -> throw new CannotAcquireLockException("lock timeout");
                    case 5 -> throw new IllegalStateException("a bug");
                    default -> 0;
                };
            }
        };
        try {
            launching.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> launching.failures() == 4);
        } finally {
            launching.stop();
        }
        List<String> lines = output.getOut().lines().filter(line -> line.contains("test-launches failed")).toList();
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).contains(" INFO ").contains("passing database failure")
                .contains("PessimisticLockingFailureException: deadlock detected");
        assertThat(lines.get(1)).as("the first of two in a row").contains(" INFO ").contains("CannotAcquireLockException");
        assertThat(lines.get(2)).as("the second in a row").contains(" WARN ").contains("(attempt 2)");
        assertThat(lines.get(3)).as("not the database's").contains(" WARN ").contains("(attempt 3)");
        assertThat(output.getOut()).as("a passing failure's stack is left out").doesNotContain("PessimisticLockingFailureException: deadlock detected\n\tat ");
    }

    @Test
    void anItemClaimedAgainWhileItIsStillInHandIsNotRunTwice() throws Exception {
        // "a" comes twice: its lease ran out while its first run still had it (a clock that jumped, a long pause).
        Queue<String> due = new ConcurrentLinkedQueue<>(List.of("a", "a"));
        List<String> started = new CopyOnWriteArrayList<>();
        List<String> finished = new CopyOnWriteArrayList<>();
        AtomicInteger claims = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        BackgroundWorker sending = new BackgroundWorker("test-sender", Duration.ofMinutes(10), true) {
            private final InFlight sends = inFlight(4);

            @Override
            protected int doWork() {
                return sends.claimAsFree(1, wanted -> {
                    claims.incrementAndGet();
                    String item = due.poll();
                    return item == null ? List.of() : List.of(item);
                }, item -> item, item -> {
                    started.add(item);
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    finished.add(item);
                });
            }
        };
        try {
            sending.start();
            // Both claims made, and the one that came back empty after them: the second "a" was not run.
            await().atMost(Duration.ofSeconds(10)).until(() -> claims.get() == 3);
            assertThat(started).containsExactly("a");

            // Once its first run is done, a later claim of it runs it again (a retry, say).
            release.countDown();
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                // Offered again until it runs: a claim in the moment between its first run's end and its release
                // from hand is still not run.
                if (started.size() < 2 && due.isEmpty()) {
                    due.add("a");
                    sending.wake();
                }
                return finished.size() >= 2;
            });
            assertThat(started).hasSizeGreaterThanOrEqualTo(2).containsOnly("a");
        } finally {
            sending.stop();
        }
    }

    /**
     * Sends what is due, each send waiting for an answer that comes only when {@link #answer} counts down: the
     * recording of the provider's answer, waiting for a database that does not come back.
     */
    private static final class StuckSender extends BackgroundWorker {
        final Queue<String> due = new ConcurrentLinkedQueue<>();
        final List<String> started = new CopyOnWriteArrayList<>();
        private final CountDownLatch answer;
        private final Duration patience;
        private final InFlight sends = inFlight(4);

        StuckSender(String name, CountDownLatch answer, Duration patience, String... due) {
            super(name, Duration.ofMinutes(10), true);
            this.answer = answer;
            this.patience = patience;
            this.due.addAll(List.of(due));
        }

        @Override
        protected int doWork() {
            return sends.claimAsFree(1, wanted -> {
                String item = due.poll();
                return item == null ? List.of() : List.of(item);
            }, item -> item, item -> {
                started.add(item);
                try {
                    answer.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }

        @Override
        protected Duration stopPatience() {
            return patience;
        }
    }

    @Test
    void stoppingWithSendsStillInHandNamesThemAtError(CapturedOutput output) {
        CountDownLatch answer = new CountDownLatch(1);
        StuckSender sending = new StuckSender("test-sender", answer, Duration.ofMillis(200), "message-1");
        try {
            sending.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> sending.started.contains("message-1"));
            sending.stop();
            assertThat(output.getOut()).contains("ERROR").contains("test-sender stops with 1 items still under way")
                    .contains("[message-1]");
        } finally {
            answer.countDown();
        }
    }

    @Test
    void theWorkersOfANodeStopSideBySideNotEachAfterTheOnesBeforeHaveWaitedOutTheirSends() throws Exception {
        CountDownLatch answers = new CountDownLatch(1);
        // A patience far longer than the test's bound: stopped in turn, the second would not stop until the first gave up.
        StuckSender whatsApp = new StuckSender("test-whatsapp", answers, Duration.ofMinutes(5), "message-1");
        StuckSender sms = new StuckSender("test-sms", answers, Duration.ofMinutes(5), "message-2");
        GenericApplicationContext node =
                new GenericApplicationContext();
        node.registerBean("whatsAppDispatcher", StuckSender.class, () -> whatsApp);
        node.registerBean("smsDispatcher", StuckSender.class, () -> sms);
        node.refresh();
        Thread closing = Thread.ofPlatform().name("test-closing").start(node::close);
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> whatsApp.started.size() + sms.started.size() == 2);
            // Both stopping at once, while each still waits for its send's answer.
            await().atMost(Duration.ofSeconds(10)).until(() -> !whatsApp.isRunning() && !sms.isRunning());
            assertThat(whatsApp.itemsInHand()).isEqualTo(1);
            assertThat(sms.itemsInHand()).isEqualTo(1);
        } finally {
            answers.countDown();
        }
        // Once the answers come, the node closes with both sends let go.
        closing.join(Duration.ofSeconds(30));
        assertThat(closing.isAlive()).isFalse();
        assertThat(whatsApp.itemsInHand() + sms.itemsInHand()).isZero();
    }

    @Test
    void everyWorkerTakesTheNodesStopPatienceAndOneThatIsNegativeOrOutlastsSpringsShutdownPhaseIsRefused() {
        Duration phase = Duration.ofSeconds(30);
        BackgroundWorker configured = (BackgroundWorker) new StopPatience(Duration.ofSeconds(3), phase)
                .postProcessBeforeInitialization(worker, "worker");
        assertThat(configured.stopPatience()).isEqualTo(Duration.ofSeconds(3));
        assertThat(new QueueWorker().stopPatience()).isEqualTo(Duration.ofSeconds(20));
        Assertions.assertThatThrownBy(() -> new StopPatience(Duration.ofSeconds(-1), phase))
                .hasMessageContaining("reach.stop-patience");
        // Longer than Spring waits for a shutdown phase: the pool would close under the workers still waiting.
        Assertions.assertThatThrownBy(() -> new StopPatience(Duration.ofSeconds(25), phase))
                .hasMessageContaining("spring.lifecycle.timeout-per-shutdown-phase");
        assertThat(new StopPatience(Duration.ofSeconds(50), Duration.ofMinutes(1))).isNotNull();
    }

    @Test
    void stoppingWithNothingInHandSaysNothing(CapturedOutput output) {
        BackgroundWorker idle = new BackgroundWorker("test-idle", Duration.ofMinutes(10), true) {
            private final InFlight sends = inFlight(4);

            @Override
            protected int doWork() {
                return sends.claimAsFree(1, wanted -> List.<String>of(), item -> item, item -> { });
            }
        };
        idle.start();
        idle.stop();
        assertThat(output.getOut()).doesNotContain("test-idle stops with");
    }
}

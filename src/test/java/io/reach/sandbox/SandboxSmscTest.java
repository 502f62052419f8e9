package io.reach.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jsmpp.SMPPConstant;
import org.jsmpp.bean.AlertNotification;
import org.jsmpp.bean.Alphabet;
import org.jsmpp.bean.BindType;
import org.jsmpp.bean.DataSm;
import org.jsmpp.bean.DeliverSm;
import org.jsmpp.bean.ESMClass;
import org.jsmpp.bean.GeneralDataCoding;
import org.jsmpp.bean.NumberingPlanIndicator;
import org.jsmpp.bean.RegisteredDelivery;
import org.jsmpp.bean.TypeOfNumber;
import org.jsmpp.extra.ProcessRequestException;
import org.jsmpp.session.BindParameter;
import org.jsmpp.session.DataSmResult;
import org.jsmpp.session.MessageReceiverListener;
import org.jsmpp.session.SMPPSession;
import org.jsmpp.session.Session;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/** The sandbox's SMSC over a real SMPP session on loopback, without Reach. */
class SandboxSmscTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path directory;

    @Test
    void givesNoMessageIdAgainAfterARestartEvenOnceEveryReceiptWentOut() throws Exception {
        String first = submitOnceAndTakeItsReceipts("31612340051");
        String second = submitOnceAndTakeItsReceipts("31612340052");

        // An id given again would take a receipt of before (one a Reach that was down still gets) to the new message.
        assertThat(Long.parseLong(second, 16)).isGreaterThan(Long.parseLong(first, 16));
    }

    @Test
    void aReceiptTheEsmeRefusesForTheMomentIsDeliveredAgainUntilTakenAndThenOnlyOnce() throws Exception {
        submitOnceAndTakeItsReceipts("31612340053", 3);

        assertThat(refused).hasValue(3);
        assertThat(receipts).extracting(r -> new String(r.getShortMessage())).doesNotHaveDuplicates()
                .anyMatch(text -> text.contains("stat:DELIVRD"));
    }

    @Test
    void bindsAnEsmeWhileWorkOnVirtualThreadsHoldsEveryCarrier() throws Exception {
        SandboxSmsc smsc = new SandboxSmsc(HandsetRules.load(null), "reach", "secret", 100, null);
        int port = smsc.start(0);
        // Virtual threads whose work never blocks (an embedded database's statements, in a busy test JVM) hold every
        // carrier thread until they end: a bind that waited for one was closed unanswered, and Reach backed off.
        int carriers = Integer.getInteger("jdk.virtualThreadScheduler.parallelism", Runtime.getRuntime().availableProcessors());
        AtomicBoolean bound = new AtomicBoolean();
        CountDownLatch spinning = new CountDownLatch(carriers);
        List<Thread> busy = new ArrayList<>();
        for (int i = 0; i < carriers; i++) {
            busy.add(Thread.ofVirtual().start(() -> {
                spinning.countDown();
                long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (!bound.get() && System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
            }));
        }
        try {
            assertThat(spinning.await(10, TimeUnit.SECONDS)).as("every carrier taken").isTrue();
            SMPPSession session = boundEsme(port, 0);
            assertThat(session.getSessionState().isBound()).isTrue();
            bound.set(true);
            session.unbindAndClose();
        } finally {
            bound.set(true);
            for (Thread thread : busy) {
                thread.join();
            }
            smsc.shutdown();
        }
    }

    @Test
    void anInboundSmsTheEsmeRefusesForTheMomentIsDeliveredAgainUntilTakenAndThenOnlyOnce() throws Exception {
        SandboxSmsc smsc = new SandboxSmsc(HandsetRules.load(null), "reach", "secret", 100, null);
        int port = smsc.start(0);
        assertThatThrownBy(() -> smsc.deliverInbound("+31612340054", "Reach", "STOP"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no ESME is bound");
        SMPPSession session = boundEsme(port, 2);
        try {
            // Reach refuses a deliver_sm while its database is out of reach: the handset's SMS is not lost for that.
            smsc.deliverInbound("+31612340054", "Reach", "STOP");

            await().atMost(Duration.ofSeconds(10)).until(() -> !receipts.isEmpty());
            assertThat(refused).hasValue(2);
            assertThat(receipts).singleElement().satisfies(sms -> {
                assertThat(new String(sms.getShortMessage())).isEqualTo("STOP");
                assertThat(sms.getSourceAddr()).isEqualTo("31612340054");
            });
        } finally {
            session.unbindAndClose();
            smsc.shutdown();
        }
    }

    private final List<DeliverSm> receipts = new CopyOnWriteArrayList<>();
    private final AtomicInteger refused = new AtomicInteger();

    private String submitOnceAndTakeItsReceipts(String destination) throws Exception {
        return submitOnceAndTakeItsReceipts(destination, 0);
    }

    /**
     * An ESME bound to the SMSC on {@code port} that refuses the first {@code refuseFirst} deliver_sm with a temporary
     * error, as Reach does while its database is out of reach, and keeps the others in {@link #receipts}.
     */
    private SMPPSession boundEsme(int port, int refuseFirst) throws Exception {
        SMPPSession session = new SMPPSession();
        receipts.clear();
        session.setMessageReceiverListener(new MessageReceiverListener() {
            @Override
            public void onAcceptDeliverSm(DeliverSm deliverSm) throws ProcessRequestException {
                if (refused.getAndIncrement() < refuseFirst) {
                    throw new ProcessRequestException("not now", SMPPConstant.STAT_ESME_RX_T_APPN);
                }
                refused.decrementAndGet();
                receipts.add(deliverSm);
            }

            @Override
            public void onAcceptAlertNotification(AlertNotification alertNotification) {
            }

            @Override
            public DataSmResult onAcceptDataSm(DataSm dataSm, Session source) throws ProcessRequestException {
                throw new ProcessRequestException("not here", 0x03);
            }
        });
        session.connectAndBind("127.0.0.1", port, new BindParameter(BindType.BIND_TRX, "reach", "secret", "",
                TypeOfNumber.UNKNOWN, NumberingPlanIndicator.UNKNOWN, null), 10_000);
        return session;
    }

    /**
     * Starts an SMSC on the journal in {@link #directory}, submits one SMS, takes its receipts (refusing the first
     * {@code refuseFirst} with a temporary error, as Reach does while its database is out of reach), stops; returns
     * its id.
     */
    private String submitOnceAndTakeItsReceipts(String destination, int refuseFirst) throws Exception {
        SandboxJournal journal = SandboxJournal.open(JSON, directory, Instant.now());
        SandboxSmsc smsc = new SandboxSmsc(HandsetRules.load(null), "reach", "secret", 100, journal);
        int port = smsc.start(0);
        SMPPSession session = boundEsme(port, refuseFirst);
        try {
            String id = session.submitShortMessage("", TypeOfNumber.ALPHANUMERIC, NumberingPlanIndicator.UNKNOWN, "Reach",
                    TypeOfNumber.INTERNATIONAL, NumberingPlanIndicator.ISDN, destination, new ESMClass(), (byte) 0,
                    (byte) 1, null, null, new RegisteredDelivery((byte) 0x01), (byte) 0,
                    new GeneralDataCoding(Alphabet.ALPHA_DEFAULT), (byte) 0, "Your order is ready".getBytes()).getMessageId();
            // Every receipt out: the journal owes nothing more of this SMSC.
            await().atMost(Duration.ofSeconds(10)).until(() -> !receipts.isEmpty()
                    && journal.owed(SandboxSmsc.CHANNEL).isEmpty());
            return id;
        } finally {
            session.unbindAndClose();
            smsc.shutdown();
            journal.close();
        }
    }
}

package io.reach.sandbox;

import io.reach.messaging.sms.SmsEncoding;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jsmpp.PDUStringException;
import org.jsmpp.SMPPConstant;
import org.jsmpp.bean.Alphabet;
import org.jsmpp.bean.BroadcastSm;
import org.jsmpp.bean.CancelBroadcastSm;
import org.jsmpp.bean.CancelSm;
import org.jsmpp.bean.DataCodings;
import org.jsmpp.bean.DataSm;
import org.jsmpp.bean.DeliveryReceipt;
import org.jsmpp.bean.ESMClass;
import org.jsmpp.bean.GSMSpecificFeature;
import org.jsmpp.bean.GeneralDataCoding;
import org.jsmpp.bean.MessageMode;
import org.jsmpp.bean.MessageType;
import org.jsmpp.bean.NumberingPlanIndicator;
import org.jsmpp.bean.OptionalParameter;
import org.jsmpp.bean.QueryBroadcastSm;
import org.jsmpp.bean.QuerySm;
import org.jsmpp.bean.RegisteredDelivery;
import org.jsmpp.bean.ReplaceSm;
import org.jsmpp.bean.SubmitMulti;
import org.jsmpp.bean.SubmitSm;
import org.jsmpp.bean.TypeOfNumber;
import org.jsmpp.extra.NegativeResponseException;
import org.jsmpp.extra.ProcessRequestException;
import org.jsmpp.session.BindRequest;
import org.jsmpp.session.BroadcastSmResult;
import org.jsmpp.session.DataSmResult;
import org.jsmpp.session.QueryBroadcastSmResult;
import org.jsmpp.session.QuerySmResult;
import org.jsmpp.session.SMPPServerSession;
import org.jsmpp.session.SMPPServerSessionListener;
import org.jsmpp.session.ServerMessageReceiverListener;
import org.jsmpp.session.Session;
import org.jsmpp.session.SubmitMultiResult;
import org.jsmpp.session.SubmitSmResult;
import org.jsmpp.session.connection.ServerConnection;
import org.jsmpp.session.connection.ServerConnectionFactory;
import org.jsmpp.session.connection.socket.ServerSocketConnection;
import org.jsmpp.util.DeliveryReceiptState;
import org.jsmpp.util.MessageId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandbox's SMSC: a jSMPP server on loopback that binds ESMEs with a system_id and password, accepts submit_sm,
 * and sends delivery receipts (an intermediate ENROUTE, then DELIVRD or the handset's failure) as the handset rules
 * say. Receipts due while no session is bound wait for the next bind, as a real SMSC keeps them. A resubmitted part
 * (same Reach reference TLV) gets its first message id again and is not delivered twice.
 */
public final class SandboxSmsc {

    private static final Logger log = LoggerFactory.getLogger(SandboxSmsc.class);
    private static final short REACH_REFERENCE_TAG = 0x1401;

    /** One accepted submit_sm, as the SMSC saw it. */
    public record Submit(String destination, byte dataCoding, byte esmClass, byte[] payload, String reference, String messageId,
                         Instant receivedAt) {}

    /** How long a receipt (or an inbound SMS) the ESME refused waits before it is delivered again. */
    private static final long REFUSED_AGAIN_AFTER_MS = 1_000;
    /** How long a receipt kept as its session went away waits, should another session have bound meanwhile. */
    private static final long KEPT_AGAIN_AFTER_MS = 250;

    private final HandsetRules rules;
    private final String systemId;
    private final String password;
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2,
            Thread.ofPlatform().name("sandbox-smsc-", 0).daemon(true).factory());
    private final Recent<Submit> submits;
    private final Map<String, String> idByReference;
    // Submits answered ESME_RTHROTTLED, per part (Reach's reference), for the handsets that throttle.
    private final Map<String, Integer> throttledByReference;
    private final List<SMPPServerSession> sessions = new CopyOnWriteArrayList<>();
    private final Queue<Runnable> undeliveredReceipts = new ConcurrentLinkedQueue<>();
    // Whether a turn of the kept receipts is scheduled: one at a time, however many receipts are kept meanwhile.
    private final AtomicBoolean keptReceiptsDue = new AtomicBoolean();
    private final AtomicLong ids = new AtomicLong(0x5A000000L);
    private final SandboxJournal journal;
    /** This simulator's name in the {@link SandboxJournal}. */
    static final String CHANNEL = "smpp";
    private static final long IDS_RESERVED_AT_ONCE = 10_000;
    private volatile long idsReservedUpTo;
    private final AtomicLong resubmissions = new AtomicLong();
    private volatile SMPPServerSessionListener listener;
    private volatile boolean running;
    private int port;

    /** {@code journal}: where what the handsets still owe is kept across restarts; null to keep it in memory only. */
    public SandboxSmsc(HandsetRules rules, String systemId, String password, int historySize, SandboxJournal journal) {
        this.journal = journal;
        if (journal != null) {
            // Ids go on from those given before, as an SMSC's do: an id given again would take a receipt of before
            // (still owed, or kept by a Reach that was down) to a new message.
            ids.accumulateAndGet(journal.idsReserved(CHANNEL), Math::max);
            journal.owed(CHANNEL).forEach(owed -> ids.accumulateAndGet(Long.parseLong(owed.id(), 16), Math::max));
            idsReservedUpTo = ids.get();
        }
        this.rules = rules;
        this.systemId = systemId;
        this.password = password;
        this.submits = new Recent<>(historySize, Submit::destination);
        this.idByReference = Recent.map(historySize);
        this.throttledByReference = Recent.map(historySize);
    }

    /** Listens on loopback; port 0 picks a free port the first time, and a restart reuses the same port. */
    public synchronized int start(int requestedPort) throws IOException {
        int wanted = port != 0 ? port : requestedPort;
        int[] bound = {wanted};
        ServerConnectionFactory loopback = new ServerConnectionFactory() {
            @Override
            public ServerConnection listen(int p) throws IOException {
                return listen(p, 0, 50);
            }

            @Override
            public ServerConnection listen(int p, int timeout) throws IOException {
                return listen(p, timeout, 50);
            }

            @Override
            public ServerConnection listen(int p, int timeout, int backlog) throws IOException {
                ServerSocket socket = new ServerSocket();
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p), backlog);
                socket.setSoTimeout(timeout);
                bound[0] = socket.getLocalPort();
                return new ServerSocketConnection(socket);
            }
        };
        listener = new SMPPServerSessionListener(wanted, loopback);
        listener.setMessageReceiverListener(new Receiver());
        port = bound[0];
        running = true;
        SMPPServerSessionListener current = listener;
        Thread.ofPlatform().name("sandbox-smsc-accept").daemon(true).start(() -> acceptLoop(current));
        return port;
    }

    public int port() {
        return port;
    }

    /** Drops every session and stops listening, as an SMSC that goes down; {@link #start} brings it back. */
    public synchronized void stop() {
        running = false;
        try {
            if (listener != null) {
                listener.close();
            }
        } catch (IOException e) {
            log.debug("closing the sandbox SMSC listener", e);
        }
        sessions.forEach(SMPPServerSession::close);
        sessions.clear();
    }

    public void shutdown() {
        stop();
        timer.shutdownNow();
    }

    /** The submits the SMSC accepted (the last {@code historySize}), oldest first. */
    public List<Submit> submits() {
        return submits.all();
    }

    public List<Submit> submitsTo(String e164) {
        String digits = e164.replace("+", "");
        return submits.find(0, digits);
    }

    /** How many submit_sm repeated a part the SMSC had already accepted (and were not delivered again). */
    public long resubmissions() {
        return resubmissions.get();
    }

    public boolean hasBoundSession() {
        return sessions.stream().anyMatch(s -> s.getSessionState().isBound());
    }

    private void acceptLoop(SMPPServerSessionListener current) {
        while (running && listener == current) {
            try {
                SMPPServerSession session = current.accept();
                // A platform thread, not a virtual one: virtual threads whose work never blocks (an embedded
                // database's statements) can hold every carrier for seconds, and a bind left unanswered that long is
                // given up by the ESME, which then backs off.
                Thread.ofPlatform().name("sandbox-smsc-bind").daemon(true).start(() -> bind(session));
            } catch (IOException e) {
                if (running && listener == current) {
                    log.debug("sandbox SMSC accept failed", e);
                }
                return;
            }
        }
    }

    private void bind(SMPPServerSession session) {
        try {
            BindRequest request = session.waitForBind(5_000);
            if (!systemId.equals(request.getSystemId()) || !password.equals(request.getPassword())) {
                request.reject(SMPPConstant.STAT_ESME_RINVPASWD);
                return;
            }
            request.accept("sandbox");
            sessions.removeIf(earlier -> !earlier.getSessionState().isBound()); // closed ones, after a relink
            sessions.add(session);
            timer.execute(this::deliverKeptReceipts);
        } catch (Exception e) {
            log.debug("sandbox SMSC bind failed", e);
            session.close();
        }
    }

    private final class Receiver implements ServerMessageReceiverListener {

        @Override
        public SubmitSmResult onAcceptSubmitSm(SubmitSm submitSm, SMPPServerSession source) throws ProcessRequestException {
            OptionalParameter tlv = submitSm.getOptionalParameter(REACH_REFERENCE_TAG);
            String reference = tlv instanceof OptionalParameter.OctetString octets ? octets.getValueAsString() : null;
            Handset handset = rules.forRecipient("+" + submitSm.getDestAddress());
            Integer throttleFirst = handset.smsThrottleFirst();
            if (throttleFirst != null && reference != null
                    && throttledByReference.merge(reference, 1, Integer::sum) <= throttleFirst) {
                throw new ProcessRequestException("throttled", SMPPConstant.STAT_ESME_RTHROTTLED);
            }
            String[] created = {null};
            String messageId = reference == null ? (created[0] = nextId())
                    : idByReference.computeIfAbsent(reference, r -> created[0] = nextId());
            if (messageId.equals(created[0])) {
                submits.add(new Submit(submitSm.getDestAddress(), submitSm.getDataCoding(), submitSm.getEsmClass(),
                        submitSm.getShortMessage(), reference, messageId, Instant.now()));
                scheduleReceipts(submitSm, messageId, source);
            } else {
                resubmissions.incrementAndGet();
                log.warn("Sandbox SMSC: a submit_sm to +{} repeated Reach's reference {} and was answered with its first"
                        + " message id {}; an SMSC, which has no such rule, would have sent it again",
                        submitSm.getDestAddress(), reference, messageId);
            }
            if (handset.smsSubmitRespAfterMs() != null) {
                answerLate(handset.smsSubmitRespAfterMs());
            }
            try {
                return new SubmitSmResult(new MessageId(messageId), new OptionalParameter[0]);
            } catch (PDUStringException e) {
                throw new ProcessRequestException("bad message id", SMPPConstant.STAT_ESME_RSYSERR);
            }
        }

        /** A slow SMSC: the submit is taken (its receipts are under way), its submit_sm_resp leaves only later. */
        private static void answerLate(long afterMs) throws ProcessRequestException {
            try {
                Thread.sleep(afterMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ProcessRequestException("stopping", SMPPConstant.STAT_ESME_RSYSERR);
            }
        }

        @Override
        public SubmitMultiResult onAcceptSubmitMulti(SubmitMulti submitMulti, SMPPServerSession source) throws ProcessRequestException {
            throw new ProcessRequestException("submit_multi is not supported", SMPPConstant.STAT_ESME_RINVCMDID);
        }

        @Override
        public QuerySmResult onAcceptQuerySm(QuerySm querySm, SMPPServerSession source) throws ProcessRequestException {
            throw new ProcessRequestException("query_sm is not supported", SMPPConstant.STAT_ESME_RINVCMDID);
        }

        @Override
        public void onAcceptReplaceSm(ReplaceSm replaceSm, SMPPServerSession source) throws ProcessRequestException {
            throw new ProcessRequestException("replace_sm is not supported", SMPPConstant.STAT_ESME_RINVCMDID);
        }

        @Override
        public void onAcceptCancelSm(CancelSm cancelSm, SMPPServerSession source) throws ProcessRequestException {
            throw new ProcessRequestException("cancel_sm is not supported", SMPPConstant.STAT_ESME_RINVCMDID);
        }

        @Override
        public BroadcastSmResult onAcceptBroadcastSm(BroadcastSm broadcastSm, SMPPServerSession source) throws ProcessRequestException {
            throw new ProcessRequestException("broadcast_sm is not supported", SMPPConstant.STAT_ESME_RINVCMDID);
        }

        @Override
        public void onAcceptCancelBroadcastSm(CancelBroadcastSm cancelBroadcastSm, SMPPServerSession source) throws ProcessRequestException {
            throw new ProcessRequestException("cancel_broadcast_sm is not supported", SMPPConstant.STAT_ESME_RINVCMDID);
        }

        @Override
        public QueryBroadcastSmResult onAcceptQueryBroadcastSm(QueryBroadcastSm queryBroadcastSm, SMPPServerSession source)
                throws ProcessRequestException {
            throw new ProcessRequestException("query_broadcast_sm is not supported", SMPPConstant.STAT_ESME_RINVCMDID);
        }

        @Override
        public DataSmResult onAcceptDataSm(DataSm dataSm, Session source) throws ProcessRequestException {
            throw new ProcessRequestException("data_sm is not supported", SMPPConstant.STAT_ESME_RINVCMDID);
        }
    }

    private String nextId() {
        long id = ids.incrementAndGet();
        if (journal != null && id > idsReservedUpTo) {
            synchronized (ids) {
                if (id > idsReservedUpTo) {
                    // A block at a time: one line in the journal per ten thousand SMS, not one per SMS.
                    journal.reserveIds(CHANNEL, id + IDS_RESERVED_AT_ONCE);
                    idsReservedUpTo = id + IDS_RESERVED_AT_ONCE;
                }
            }
        }
        return Long.toHexString(id);
    }

    private void scheduleReceipts(SubmitSm submitSm, String messageId, SMPPServerSession submitter) {
        String recipient = submitSm.getDestAddress();
        String sender = submitSm.getSourceAddr();
        boolean intermediate = (submitSm.getRegisteredDelivery() & 0x10) != 0;
        Instant submitted = Instant.now();
        if (journal != null) {
            // Before the submit_sm_resp: once Reach has the id, its receipts must come, restart or not.
            Map<String, String> fields = new HashMap<>();
            fields.put("to", recipient);
            fields.put("from", sender);
            fields.put("intermediate", String.valueOf(intermediate));
            journal.accepted(new SandboxJournal.Owed(CHANNEL, messageId, submitted, fields, intermediate ? 2 : 1));
        }
        scheduleReceipts(submitter, recipient, sender, messageId, submitted, intermediate, 0);
    }

    /** Schedules a message's receipts from the {@code taken}th on, each at its time after {@code submitted}. */
    private void scheduleReceipts(SMPPServerSession submitter, String recipient, String sender, String messageId,
                                  Instant submitted, boolean intermediate, int taken) {
        Handset handset = rules.forRecipient("+" + recipient);
        Date submittedAt = Date.from(submitted);
        if (intermediate && taken < 1) {
            timer.schedule(() -> receipt(submitter, recipient, sender, messageId, submittedAt, DeliveryReceiptState.ENROUTE,
                    "000", true, 1), Handset.delayUntil(submitted, Math.min(100, handset.smsDelay() / 2)), TimeUnit.MILLISECONDS);
        }
        DeliveryReceiptState state = handset.smsDeliverable() ? DeliveryReceiptState.DELIVRD
                : DeliveryReceiptState.valueOf(handset.smsFailStat() == null ? "UNDELIV" : handset.smsFailStat());
        String error = handset.smsDeliverable() ? "000" : handset.smsError() == null ? "001" : handset.smsError();
        timer.schedule(() -> receipt(submitter, recipient, sender, messageId, submittedAt, state, error, false,
                intermediate ? 2 : 1), Handset.delayUntil(submitted, handset.smsDelay()), TimeUnit.MILLISECONDS);
    }

    /**
     * Takes up the receipts owed when the sandbox last stopped (see {@link SandboxJournal}), at once for those past
     * due; they wait for Reach's next bind. Returns how many messages it took up.
     */
    int resume() {
        if (journal == null) {
            return 0;
        }
        List<SandboxJournal.Owed> owed = journal.owed(CHANNEL);
        for (SandboxJournal.Owed message : owed) {
            scheduleReceipts(null, message.field("to"), message.field("from"), message.id(), message.at(),
                    Boolean.parseBoolean(message.field("intermediate")), message.taken());
        }
        return owed.size();
    }

    /**
     * Delivers a receipt on the session that submitted the message, or, when that one is gone (the ESME reconnected),
     * on another bound session of the same system_id.
     */
    private void receipt(SMPPServerSession submitter, String recipient, String sender, String messageId, Date submitted,
                         DeliveryReceiptState state, String error, boolean intermediate, int progress) {
        SMPPServerSession session = submitter != null && sessions.contains(submitter) && submitter.getSessionState().isBound()
                ? submitter : sessions.stream().filter(s -> s.getSessionState().isBound()).findFirst().orElse(null);
        Runnable retry = () -> receipt(null, recipient, sender, messageId, submitted, state, error, intermediate, progress);
        if (session == null) {
            keep(retry, KEPT_AGAIN_AFTER_MS);
            return;
        }
        DeliveryReceipt receipt = new DeliveryReceipt(messageId, 1, state == DeliveryReceiptState.DELIVRD ? 1 : 0, submitted,
                new Date(), state, error, "");
        ESMClass esm = intermediate ? new ESMClass(0x20)
                : new ESMClass(MessageMode.DEFAULT, MessageType.SMSC_DEL_RECEIPT, GSMSpecificFeature.DEFAULT);
        try {
            session.deliverShortMessage("", TypeOfNumber.INTERNATIONAL, NumberingPlanIndicator.ISDN, recipient,
                    TypeOfNumber.UNKNOWN, NumberingPlanIndicator.UNKNOWN, sender, esm, (byte) 0, (byte) 0,
                    new RegisteredDelivery(0), DataCodings.ZERO, receipt.toString().getBytes(StandardCharsets.US_ASCII));
        } catch (Exception e) {
            // The ESME did not acknowledge: keep the receipt for its next bind. One it refused (it could not store it
            // for the moment) is delivered again a little later, as an SMSC's retry schedule would.
            keep(retry, e instanceof NegativeResponseException ? REFUSED_AGAIN_AFTER_MS
                    : KEPT_AGAIN_AFTER_MS);
            return;
        }
        if (journal != null) {
            journal.taken(CHANNEL, messageId, progress);
        }
    }

    /**
     * Keeps a receipt that found no session, or that the ESME did not take, for the next bind. While a session is
     * bound, the kept receipts are tried again after {@code retryAfterMs}, in one turn however many are kept.
     */
    private void keep(Runnable receipt, long retryAfterMs) {
        undeliveredReceipts.add(receipt);
        if (running && hasBoundSession() && keptReceiptsDue.compareAndSet(false, true)) {
            try {
                timer.schedule(this::deliverKeptReceipts, retryAfterMs, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException shutDown) {
                keptReceiptsDue.set(false);
                log.debug("the sandbox SMSC is shut down; a kept receipt stays undelivered");
            }
        }
    }

    /** Kept receipts go out one after the other, in the order they were due (those kept meanwhile wait their turn). */
    private void deliverKeptReceipts() {
        // Receipts kept from now on (those of this turn refused again included) schedule the next turn.
        keptReceiptsDue.set(false);
        for (int kept = undeliveredReceipts.size(); kept > 0 && hasBoundSession(); kept--) {
            Runnable receipt = undeliveredReceipts.poll();
            if (receipt == null) {
                return;
            }
            receipt.run();
        }
    }

    /** Sends an SMS from a handset to the bound ESME (an inbound message, e.g. a reply or STOP). */
    public void deliverInbound(String fromE164, String to, String text) {
        deliverInbound(fromE164.replace("+", ""), TypeOfNumber.INTERNATIONAL, to, text);
    }

    /**
     * Sends an SMS to the bound ESME from {@code sourceAddress} of the type {@code ton}, as SMSCs write it: international
     * without its "+", national as dialled in the SMSC's country, alphanumeric. Throws {@link IllegalStateException}
     * when no ESME is bound; one that does not take it (it refuses it for the moment, or answers too late) gets it again.
     */
    public void deliverInbound(String sourceAddress, TypeOfNumber ton, String to, String text) {
        if (!hasBoundSession()) {
            throw new IllegalStateException("no ESME is bound to the sandbox SMSC");
        }
        inbound(sourceAddress, ton, to, text);
    }

    /**
     * Delivers an inbound SMS to a bound session; one the ESME refused for the moment, or did not answer in time, is
     * kept and delivered again, as receipts are (and as an SMSC does: an ESME that answered late may get it twice).
     * Kept ones are not in the journal: a restart of the sandbox forgets them.
     */
    private void inbound(String sourceAddress, TypeOfNumber ton, String to, String text) {
        Runnable retry = () -> inbound(sourceAddress, ton, to, text);
        SMPPServerSession session = sessions.stream().filter(s -> s.getSessionState().isBound()).findFirst().orElse(null);
        if (session == null) {
            keep(retry, KEPT_AGAIN_AFTER_MS);
            return;
        }
        SmsEncoding.Encoded encoded = SmsEncoding.encode(text, 0);
        try {
            session.deliverShortMessage("", ton, NumberingPlanIndicator.ISDN, sourceAddress,
                    TypeOfNumber.UNKNOWN, NumberingPlanIndicator.UNKNOWN, to, new ESMClass(0), (byte) 0, (byte) 0,
                    new RegisteredDelivery(0), new GeneralDataCoding(encoded.alphabet()
                            == SmsEncoding.Alphabet.GSM7 ? Alphabet.ALPHA_DEFAULT
                            : Alphabet.ALPHA_UCS2), encoded.parts().getFirst().payload());
        } catch (Exception e) {
            log.info("Sandbox SMSC: the inbound SMS from {} was not taken ({}); it is delivered again shortly",
                    sourceAddress, e instanceof NegativeResponseException refused
                            ? String.format("command_status 0x%08X", refused.getCommandStatus()) : e.getClass().getSimpleName());
            keep(retry, e instanceof NegativeResponseException ? REFUSED_AGAIN_AFTER_MS
                    : KEPT_AGAIN_AFTER_MS);
        }
    }
}

package io.reach.messaging.sms;

import io.reach.messaging.SenderRates;
import io.reach.sender.ProviderAccount;
import io.reach.sender.Sender;
import java.io.IOException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.jsmpp.InvalidResponseException;
import org.jsmpp.PDUException;
import org.jsmpp.bean.Alphabet;
import org.jsmpp.bean.BindType;
import org.jsmpp.bean.DataCoding;
import org.jsmpp.bean.ESMClass;
import org.jsmpp.bean.GeneralDataCoding;
import org.jsmpp.bean.NumberingPlanIndicator;
import org.jsmpp.bean.OptionalParameter;
import org.jsmpp.bean.RegisteredDelivery;
import org.jsmpp.bean.TypeOfNumber;
import org.jsmpp.extra.NegativeResponseException;
import org.jsmpp.extra.ResponseTimeoutException;
import org.jsmpp.session.BindParameter;
import org.jsmpp.session.MessageReceiverListener;
import org.jsmpp.session.SMPPSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SMPP 3.4 session to an SMSC for one sender: bound as transceiver, kept alive with enquire_link, bound again
 * with backoff after the SMSC drops it. Submits respect the sender's window (outstanding submit_sm) and rate.
 */
final class SmppLink {

    private static final Logger log = LoggerFactory.getLogger(SmppLink.class);
    /** A vendor-specific TLV carrying Reach's message id and part: an SMSC that knows it can drop a resubmission. */
    static final short REACH_REFERENCE_TAG = 0x1401;

    private final ProviderAccount account;
    private final ScheduledExecutorService scheduler;
    private final MessageReceiverListener listener;
    private final Runnable onBound;
    private final Semaphore window;
    private final SenderRates rates;
    private final int submitsPerSecond;
    private volatile SMPPSession session;
    private volatile boolean running;
    private int failures;

    SmppLink(ProviderAccount account, ScheduledExecutorService scheduler, MessageReceiverListener listener,
             Runnable onBound, SenderRates rates) {
        this.account = account;
        this.scheduler = scheduler;
        this.listener = listener;
        this.onBound = onBound;
        Sender sender = account.sender();
        this.window = new Semaphore(Integer.parseInt(sender.setting("window", "10")));
        // Shared by every node's session of this sender, as an SMSC usually limits the account, not one bind.
        this.submitsPerSecond = Integer.parseInt(sender.setting("submitsPerSecond", "50"));
        this.rates = rates;
    }

    ProviderAccount account() {
        return account;
    }

    void start() {
        running = true;
        scheduler.execute(this::connect);
    }

    void stop() {
        running = false;
        SMPPSession current = session;
        session = null;
        if (current != null) {
            // An SMSC answers an unbind at once; one that does not (or whose answer waits behind deliver_sms this
            // node cannot store while its database is down) holds up the node's stop no longer than this.
            current.setTransactionTimer(2_000);
            current.unbindAndClose();
        }
    }

    boolean isBound() {
        SMPPSession current = session;
        return current != null && current.getSessionState().isBound();
    }

    private void connect() {
        if (!running) {
            return;
        }
        Sender sender = account.sender();
        SMPPSession candidate = new SMPPSession();
        candidate.setEnquireLinkTimer(Integer.parseInt(sender.setting("enquireLinkSeconds", "30")) * 1000);
        candidate.setTransactionTimer(10_000);
        candidate.setMessageReceiverListener(listener);
        try {
            candidate.connectAndBind(sender.setting("host", "127.0.0.1"), Integer.parseInt(sender.setting("port", "2775")),
                    new BindParameter(BindType.BIND_TRX, sender.setting("systemId", ""), account.secret(),
                            sender.setting("systemType", ""), TypeOfNumber.UNKNOWN, NumberingPlanIndicator.UNKNOWN, null),
                    10_000);
        } catch (IOException e) {
            failures++;
            long wait = Math.min(30_000, 500L << Math.min(failures, 6));
            if (failures == 1 || failures % 10 == 0) {
                log.warn("SMPP sender {} cannot bind to {}:{} ({}); trying again in {} ms", sender.name(),
                        sender.setting("host", "?"), sender.setting("port", "?"), e.getMessage(), wait);
            }
            candidate.close();
            schedule(wait);
            return;
        }
        candidate.addSessionStateListener((newState, oldState, source) -> {
            if (!newState.isBound() && source == session) {
                session = null;
                if (running) {
                    log.warn("SMPP sender {} lost its session ({}); binding again", sender.name(), newState);
                    schedule(1_000);
                }
            }
        });
        session = candidate;
        failures = 0;
        log.info("SMPP sender {} bound to {}:{}", sender.name(), sender.setting("host", "?"), sender.setting("port", "?"));
        onBound.run();
    }

    private void schedule(long millis) {
        if (running && !scheduler.isShutdown()) {
            scheduler.schedule(this::connect, millis, TimeUnit.MILLISECONDS);
        }
    }

    /** Submits one part and returns the SMSC's message id. */
    String submit(String destination, SmsEncoding.Encoded encoded, SmsEncoding.Part part, String reference)
            throws PDUException, ResponseTimeoutException, InvalidResponseException, NegativeResponseException, IOException,
            InterruptedException {
        SMPPSession current = session;
        if (current == null || !current.getSessionState().isBound()) {
            throw new IOException("the SMPP session is not bound");
        }
        String from = account.sender().fromAddress();
        boolean numeric = from.startsWith("+");
        DataCoding coding = new GeneralDataCoding(encoded.alphabet() == SmsEncoding.Alphabet.GSM7
                ? Alphabet.ALPHA_DEFAULT : Alphabet.ALPHA_UCS2);
        // Final receipt on success and failure (0x01) and intermediate notifications such as ENROUTE (0x10).
        RegisteredDelivery receipts = new RegisteredDelivery((byte) 0x11);
        window.acquire();
        try {
            rates.awaitTurn(account.sender().id(), submitsPerSecond);
            return current.submitShortMessage("",
                    numeric ? TypeOfNumber.INTERNATIONAL : TypeOfNumber.ALPHANUMERIC,
                    numeric ? NumberingPlanIndicator.ISDN : NumberingPlanIndicator.UNKNOWN,
                    numeric ? from.substring(1) : from,
                    TypeOfNumber.INTERNATIONAL, NumberingPlanIndicator.ISDN, destination.replace("+", ""),
                    new ESMClass(part.hasUdh() ? 0x40 : 0x00), (byte) 0, (byte) 1, null, null, receipts, (byte) 0,
                    coding, (byte) 0, part.payload(),
                    new OptionalParameter.OctetString(REACH_REFERENCE_TAG, reference)).getMessageId();
        } finally {
            window.release();
        }
    }
}

package io.reach.messaging.sms;

import io.reach.messaging.SenderRates;
import io.reach.sender.ProviderAccount;
import io.reach.sender.Sender;
import io.reach.sender.Senders;
import io.reach.shared.DatabaseOutOfReach;
import io.reach.shared.PassingFailures;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Collectors;
import org.jsmpp.SMPPConstant;
import org.jsmpp.bean.AlertNotification;
import org.jsmpp.bean.DataSm;
import org.jsmpp.bean.DeliverSm;
import org.jsmpp.bean.DeliveryReceipt;
import org.jsmpp.bean.MessageType;
import org.jsmpp.extra.ProcessRequestException;
import org.jsmpp.session.DataSmResult;
import org.jsmpp.session.MessageReceiverListener;
import org.jsmpp.session.Session;
import org.jsmpp.util.InvalidDeliveryReceiptException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.dao.DataAccessException;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * The SMPP sessions of all SMPP senders. It opens one per sender, follows senders added or changed later, and
 * turns what the SMSC delivers (receipts, incoming SMS) into inbox entries (applied at once when they can be) before
 * acknowledging them, so that a crash right after the deliver_sm_resp loses nothing.
 */
@Component
class SmppLinks implements SmartLifecycle {

    static final String SOURCE = "SMPP";
    /** What a deliver_sm Reach could not store is refused with: jSMPP's ERROR line about it is dropped (Reach logs its own). */
    static final String REFUSED_FOR_NOW = "Reach cannot store the deliver_sm now; deliver it again later";
    private static final Logger log = LoggerFactory.getLogger(SmppLinks.class);

    private final Senders senders;
    private final JsonMapper json;
    private final SmsWorkers workers;
    private final SenderRates rates;
    // Replaced on a start after a stop: a stopped context may be started again.
    private volatile ScheduledExecutorService scheduler = newScheduler();
    private final Map<UUID, SmppLink> links = new ConcurrentHashMap<>();
    private volatile boolean running;

    SmppLinks(Senders senders, JsonMapper json, SmsWorkers workers, SenderRates rates) {
        this.senders = senders;
        this.json = json;
        this.workers = workers;
        this.rates = rates;
        RefusedDeliverSmLogs.install();
    }

    /** The ids of the SMPP senders whose session is bound now. */
    Set<UUID> boundSenders() {
        return links.entrySet().stream().filter(e -> e.getValue().isBound()).map(Map.Entry::getKey).collect(Collectors.toSet());
    }

    List<SmppLinkController.LinkState> states() {
        return links.values().stream().map(l -> new SmppLinkController.LinkState(l.account().sender().id().toString(),
                l.account().sender().name(), l.isBound())).sorted(Comparator.comparing(SmppLinkController.LinkState::sender))
                .toList();
    }

    Optional<SmppLink> bound(UUID senderId) {
        return Optional.ofNullable(links.get(senderId)).filter(SmppLink::isBound);
    }

    @Override
    public void start() {
        if (scheduler.isShutdown()) {
            scheduler = newScheduler();
        }
        running = true;
        refresh();
    }

    private static ScheduledExecutorService newScheduler() {
        return Executors.newScheduledThreadPool(1, Thread.ofPlatform().name("smpp-links").daemon(true).factory());
    }

    /** Opens sessions for new SMPP senders, reopens those whose settings or password changed, and closes those deleted. */
    @Scheduled(fixedDelayString = "${reach.messaging.smpp-refresh-interval:5s}")
    void refresh() {
        if (!running) {
            return;
        }
        List<ProviderAccount> accounts;
        try {
            accounts = senders.providerAccounts(Sender.SMS);
        } catch (DataAccessException e) {
            // A database that restarts or fails over: the sessions open stay open, and the next refresh looks again.
            log.warn("Could not read the SMPP senders; the next refresh tries again", e);
            return;
        }
        Set<UUID> registered = accounts.stream().filter(account -> Sender.SMPP.equals(account.sender().provider()))
                .map(account -> account.sender().id()).collect(Collectors.toSet());
        for (UUID gone : links.keySet().stream().filter(id -> !registered.contains(id)).toList()) {
            SmppLink link = links.remove(gone);
            log.info("SMPP sender {} was deleted; its session is closed", link.account().sender().name());
            link.stop();
        }
        for (ProviderAccount account : accounts) {
            if (!Sender.SMPP.equals(account.sender().provider())) {
                continue;
            }
            SmppLink current = links.get(account.sender().id());
            if (current != null && sameConnection(current.account(), account)) {
                continue;
            }
            if (current != null) {
                current.stop();
            }
            SmppLink link = new SmppLink(account, scheduler, listener(account.sender().id()), workers::wakeDispatcher, rates);
            links.put(account.sender().id(), link);
            link.start();
        }
    }

    private static boolean sameConnection(ProviderAccount a, ProviderAccount b) {
        return a.secret().equals(b.secret()) && Objects.equals(a.sender().settings(), b.sender().settings())
                && a.sender().fromAddress().equals(b.sender().fromAddress());
    }

    private MessageReceiverListener listener(UUID senderId) {
        return new MessageReceiverListener() {
            @Override
            public void onAcceptDeliverSm(DeliverSm deliverSm) throws ProcessRequestException {
                Map<String, String> entry = new TreeMap<>();
                try {
                    if (MessageType.SMSC_DEL_RECEIPT.containedIn(deliverSm.getEsmClass())
                            || deliverSm.isIntermediateDeliveryNotification()) {
                        // Parsed from the text, as jSMPP's own accessor refuses intermediate notifications (esm_class 0x20).
                        DeliveryReceipt receipt = new DeliveryReceipt(new String(deliverSm.getShortMessage(),
                                StandardCharsets.ISO_8859_1));
                        entry.put("_kind", "receipt");
                        entry.put("id", receipt.getId());
                        entry.put("stat", receipt.getFinalStatus().name());
                        entry.put("err", receipt.getError() == null ? "" : receipt.getError());
                        entry.put("recipient", "+" + deliverSm.getSourceAddr());
                    } else {
                        entry.put("_kind", "inbound");
                        // As the SMSC wrote it, with its type of number: read into E.164 when the message is recorded.
                        entry.put("from", deliverSm.getSourceAddr());
                        entry.put("fromTon", String.valueOf(deliverSm.getSourceAddrTon()));
                        entry.put("to", deliverSm.getDestAddress());
                        entry.put("text", SmsEncoding.decode(deliverSm.getShortMessage(), deliverSm.getDataCoding(),
                                deliverSm.isUdhi()));
                    }
                    workers.receive(senderId, json.writeValueAsString(entry));
                } catch (InvalidDeliveryReceiptException e) {
                    log.warn("Ignoring a delivery receipt Reach cannot read: {}", e.getMessage());
                } catch (DatabaseOutOfReach e) {
                    // Said once for the whole outage (DatabaseOutage).
                    log.debug("Refused a deliver_sm at once: {}", e.getMessage());
                    throw new ProcessRequestException(REFUSED_FOR_NOW, SMPPConstant.STAT_ESME_RX_T_APPN);
                } catch (RuntimeException e) {
                    // Not acknowledged: the SMSC delivers it again. A temporary error tells it the failure passes.
                    boolean passing = PassingFailures.isPassing(e);
                    if (passing) {
                        log.warn("Could not store a deliver_sm for the moment ({}); the SMSC will redeliver it",
                                PassingFailures.cause(e));
                    } else {
                        log.warn("Could not store a deliver_sm; the SMSC will redeliver it", e);
                    }
                    throw new ProcessRequestException(REFUSED_FOR_NOW,
                            passing ? SMPPConstant.STAT_ESME_RX_T_APPN : SMPPConstant.STAT_ESME_RSYSERR);
                }
            }

            @Override
            public void onAcceptAlertNotification(AlertNotification alertNotification) {
            }

            @Override
            public DataSmResult onAcceptDataSm(DataSm dataSm, Session source) throws ProcessRequestException {
                throw new ProcessRequestException("data_sm is not supported", 0x03);
            }
        };
    }

    @Override
    public void stop() {
        running = false;
        // Side by side: each unbind may wait for its SMSC's answer.
        try (ExecutorService unbinding = Executors.newVirtualThreadPerTaskExecutor()) {
            links.values().forEach(link -> unbinding.execute(link::stop));
        }
        links.clear();
        scheduler.shutdownNow();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /**
     * After the dispatchers when stopping (they stop side by side, each on its own thread): an SMS on the wire gets
     * its submit_sm_resp over a session still bound, instead of failing and being sent again when its lease ends.
     * Before the sandbox, whose SMSC the sessions bind to.
     */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 256;
    }
}

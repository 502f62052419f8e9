package io.reach.sandbox;

import io.reach.sender.Sender;
import io.reach.sender.SenderRequest;
import io.reach.sender.Senders;
import io.reach.sender.WhatsAppAccount;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.EventListener;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs the sandbox network beside Reach: the Graph API stand-in on its own port and the handsets' webhooks, and
 * registers (or repoints) the sandbox sender in Reach so that a fresh install can send at once.
 */
@Component
@ConditionalOnProperty(name = "reach.sandbox.enabled", havingValue = "true", matchIfMissing = true)
public class SandboxNetwork implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(SandboxNetwork.class);

    private final SandboxSettings settings;
    private final Senders senders;
    private final HandsetRules rules;
    private final SandboxWebhooks webhooks;
    private final SandboxGraphApi graphApi;
    private final SandboxSmsc smsc;
    private final SandboxTwilio twilio;
    private final SandboxJournal journal;
    private final AtomicBoolean resumed = new AtomicBoolean();
    private volatile boolean running;
    private int graphApiPort;
    private int twilioPort;
    private URI webhookTarget;

    SandboxNetwork(SandboxSettings settings, Senders senders, JsonMapper json, Clock clock,
                   @Value("${reach.data-dir:./data}") String dataDir) {
        this.settings = settings;
        this.senders = senders;
        if (settings.historySize() < 1) {
            throw new IllegalArgumentException("reach.sandbox.history-size must be at least 1, not " + settings.historySize());
        }
        this.rules = HandsetRules.load(settings.rulesFile());
        this.webhooks = new SandboxWebhooks(json, clock, settings.phoneNumberId(), settings.wabaId(), settings.displayNumber(),
                settings.appSecret(), settings.webhookBatchSize(), settings.webhookConcurrency());
        this.journal = SandboxJournal.open(json, Path.of(dataDir, "sandbox"), Instant.now());
        this.graphApi = new SandboxGraphApi(json, rules, webhooks, settings.phoneNumberId(), settings.wabaId(),
                settings.displayNumber(), settings.accessToken(), settings.historySize(), journal);
        this.smsc = new SandboxSmsc(rules, settings.smpp().systemId(), settings.smpp().password(), settings.historySize(),
                journal);
        this.twilio = new SandboxTwilio(json, rules, settings.twilio().accountSid(), settings.twilio().authToken(),
                settings.historySize(), journal);
    }

    @Override
    public void start() {
        try {
            startServers();
        } catch (RuntimeException e) {
            // Whatever did start must not keep the JVM alive after a failed start.
            stop();
            throw e;
        }
    }

    private void startServers() {
        try {
            graphApiPort = graphApi.start(settings.graphApiPort());
        } catch (IOException e) {
            throw SandboxCannotStart.portTaken("Graph API", settings.graphApiPort(), "reach.sandbox.graph-api-port", e);
        }
        try {
            smsc.start(settings.smpp().port());
        } catch (IOException e) {
            throw SandboxCannotStart.portTaken("SMSC", settings.smpp().port(), "reach.sandbox.smpp.port", e);
        }
        try {
            twilioPort = twilio.start(settings.twilio().port());
        } catch (IOException e) {
            throw SandboxCannotStart.portTaken("Twilio", settings.twilio().port(), "reach.sandbox.twilio.port", e);
        }
        if (settings.registerSenders()) {
            registerSender();
            registerSmsAndVoiceSenders();
        }
        running = true;
        resumeOnce();
        log.info("Sandbox network up: Graph API on http://127.0.0.1:{}, SMSC on 127.0.0.1:{}, Twilio on http://127.0.0.1:{},"
                        + " handset webhooks to {}; senders '{}', '{}', '{}', '{}'", graphApiPort, smsc.port(), twilioPort,
                webhookTarget, settings.senderName(), settings.smpp().senderName(), settings.twilio().smsSenderName(),
                settings.twilio().voiceSenderName());
    }

    private void registerSmsAndVoiceSenders() {
        Map<String, String> smpp = Map.of("host", "127.0.0.1", "port", String.valueOf(smsc.port()),
                "systemId", settings.smpp().systemId(), "enquireLinkSeconds", "15");
        Map<String, String> twilioSettings = Map.of("accountSid", settings.twilio().accountSid(),
                "baseUrl", "http://127.0.0.1:" + twilioPort);
        upsert(settings.smpp().senderName(), Sender.SMS, Sender.SMPP, settings.smpp().fromAddress(), smpp,
                settings.smpp().password());
        upsert(settings.twilio().smsSenderName(), Sender.SMS, Sender.TWILIO, settings.twilio().fromNumber(), twilioSettings,
                settings.twilio().authToken());
        upsert(settings.twilio().voiceSenderName(), Sender.VOICE, Sender.TWILIO, settings.twilio().fromNumber(),
                twilioSettings, settings.twilio().authToken());
    }

    /** Registers a sandbox sender, or points the existing one at this run's ports. */
    private void upsert(String name, String channel, String provider, String from, Map<String, String> providerSettings,
                        String secret) {
        Optional<Sender> existing = senders.list().stream().filter(s -> s.name().equals(name)).findFirst();
        if (existing.isEmpty()) {
            senders.registerSandbox(SenderRequest.provider(name, channel, provider, from, providerSettings, secret, null));
        } else if (existing.get().sandbox() && !providerSettings.entrySet().stream()
                .allMatch(e -> e.getValue().equals(existing.get().setting(e.getKey(), null)))) {
            senders.update(existing.get().id(), SenderRequest.provider(null, null, null, null, providerSettings, null, null));
        }
    }

    /** Points the handsets' webhooks at Reach once Reach's own port is known. */
    @EventListener
    @Order(Ordered.HIGHEST_PRECEDENCE)
    void onWebServer(WebServerInitializedEvent event) {
        if (event.getApplicationContext().getServerNamespace() != null) {
            return;
        }
        URI url = settings.webhookUrl() == null || settings.webhookUrl().isBlank()
                ? URI.create("http://127.0.0.1:" + event.getWebServer().getPort() + "/webhooks/whatsapp")
                : URI.create(settings.webhookUrl());
        webhookTarget = url;
        webhooks.target(url);
        if (running) {
            resumeOnce();
        }
    }

    /**
     * Sends what the handsets owed Reach when this process last stopped, once the network is up and its webhooks know
     * where to go (before that, an event would count as sent without being sent).
     */
    private void resumeOnce() {
        if (webhookTarget != null && resumed.compareAndSet(false, true)) {
            int whatsApp = graphApi.resume();
            int sms = smsc.resume();
            int twilioResources = twilio.resume();
            if (whatsApp + sms + twilioResources > 0) {
                log.info("The sandbox takes up what its handsets still owed when it last stopped: the webhooks of {} WhatsApp"
                        + " messages, the receipts of {} SMS, the callbacks of {} Twilio messages and calls", whatsApp, sms,
                        twilioResources);
            }
        }
    }

    private void registerSender() {
        String baseUrl = "http://127.0.0.1:" + graphApiPort;
        Optional<WhatsAppAccount> existing = senders.byPhoneNumberId(settings.phoneNumberId());
        if (existing.isEmpty()) {
            senders.registerSandbox(SenderRequest.whatsApp(settings.senderName(), settings.phoneNumberId(), settings.wabaId(),
                    settings.displayNumber(), settings.accessToken(), settings.appSecret(), settings.verifyToken(), baseUrl,
                    Senders.DEFAULT_GRAPH_VERSION, 80));
        } else if (!existing.get().sender().graphApiBaseUrl().equals(baseUrl)) {
            senders.update(existing.get().sender().id(), SenderRequest.whatsApp(null, null, null, null, null, null, null,
                    baseUrl, null, null));
        }
    }

    /**
     * A handset writes to Reach, as a person would type: on WhatsApp a text (quoting no message) that the sandbox
     * posts as Meta's signed webhook, by SMS a deliver_sm from the sandbox SMSC to the bound SMPP sender.
     */
    void handsetWrites(String fromE164, boolean sms, String text) {
        if (sms) {
            smsc.deliverInbound(fromE164, settings.smpp().fromAddress(), text);
            return;
        }
        webhooks.sendInOrder(Instant.now(), List.of(new SandboxWebhooks.Scheduled(0,
                webhooks.reply(fromE164.substring(1), null, new Handset.Reply(0L, null, null, text, false),
                        Boolean.TRUE.equals(rules.forRecipient(fromE164).username())))));
    }

    public SandboxGraphApi graphApi() {
        return graphApi;
    }

    public int graphApiPort() {
        return graphApiPort;
    }

    public int twilioPort() {
        return twilioPort;
    }

    public SandboxSmsc smsc() {
        return smsc;
    }

    public SandboxTwilio twilio() {
        return twilio;
    }

    @Override
    public void stop() {
        running = false;
        graphApi.stop();
        webhooks.shutdown();
        smsc.shutdown();
        twilio.stop();
        if (journal != null) {
            journal.close();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /**
     * After the web server (whose port the handsets' webhooks need), before Reach's SMPP links and dispatchers: a
     * restart with the sandbox's senders already registered binds to an SMSC that listens, instead of warning that
     * it cannot, and the dispatchers stop before the network they send to.
     */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 512;
    }
}

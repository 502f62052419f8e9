package io.reach.sandbox;

import io.reach.sender.SenderRequest;
import io.reach.sender.Senders;
import io.reach.sender.WhatsAppAccount;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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
    private final SandboxWebhooks webhooks;
    private final SandboxGraphApi graphApi;
    private volatile boolean running;
    private int graphApiPort;
    private URI webhookTarget;

    SandboxNetwork(SandboxSettings settings, Senders senders, JsonMapper json) {
        this.settings = settings;
        this.senders = senders;
        HandsetRules rules = HandsetRules.load(settings.rulesFile());
        this.webhooks = new SandboxWebhooks(json, settings.phoneNumberId(), settings.wabaId(), settings.displayNumber(),
                settings.appSecret());
        this.graphApi = new SandboxGraphApi(json, rules, webhooks, settings.phoneNumberId(), settings.accessToken());
    }

    @Override
    public void start() {
        try {
            graphApiPort = graphApi.start(settings.graphApiPort());
        } catch (IOException e) {
            throw new UncheckedIOException("The sandbox Graph API cannot listen on port " + settings.graphApiPort()
                    + " (set reach.sandbox.graph-api-port to a free port, or 0)", e);
        }
        registerSender();
        running = true;
        log.info("Sandbox network up: Graph API on http://127.0.0.1:{}, handset webhooks to {}, sender '{}'",
                graphApiPort, webhookTarget, settings.senderName());
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
    }

    private void registerSender() {
        String baseUrl = "http://127.0.0.1:" + graphApiPort;
        Optional<WhatsAppAccount> existing = senders.byPhoneNumberId(settings.phoneNumberId());
        if (existing.isEmpty()) {
            senders.registerSandbox(new SenderRequest(settings.senderName(), settings.phoneNumberId(), settings.wabaId(),
                    settings.displayNumber(), settings.accessToken(), settings.appSecret(), settings.verifyToken(), baseUrl,
                    Senders.DEFAULT_GRAPH_VERSION, 80));
        } else if (!existing.get().sender().graphApiBaseUrl().equals(baseUrl)) {
            senders.update(existing.get().sender().id(), new SenderRequest(null, null, null, null, null, null, null,
                    baseUrl, null, null));
        }
    }

    public SandboxGraphApi graphApi() {
        return graphApi;
    }

    public int graphApiPort() {
        return graphApiPort;
    }

    @Override
    public void stop() {
        running = false;
        graphApi.stop();
        webhooks.shutdown();
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}

package io.reach.shared;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.info.BuildProperties;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/** Tells the person who started Reach where everything is, once it is ready. */
@Component
class StartupReport {

    private static final Logger log = LoggerFactory.getLogger(StartupReport.class);

    private final ApiToken token;
    // Absent when Reach runs from classes no Maven build made (an IDE's): the report then names no version.
    private final ObjectProvider<BuildProperties> build;
    private volatile int port;

    StartupReport(ApiToken token, ObjectProvider<BuildProperties> build) {
        this.token = token;
        this.build = build;
    }

    @EventListener
    void onWebServer(WebServerInitializedEvent event) {
        if (event.getApplicationContext().getServerNamespace() == null) {
            port = event.getWebServer().getPort();
        }
    }

    @EventListener
    void onReady(ApplicationReadyEvent event) {
        String base = "http://localhost:" + port;
        BuildProperties properties = build.getIfAvailable();
        String reach = properties == null || properties.getVersion() == null ? "Reach" : "Reach " + properties.getVersion();
        log.info("""
                {} is ready on {}
                  REST API     {}/api/v1  (Authorization: Bearer <token>; the token is in {})
                  API docs     {}/swagger-ui.html  (OpenAPI document: {}/v3/api-docs)
                  Health       {}/actuator/health
                  Metrics      {}/actuator/prometheus  (Prometheus; the same token)
                  Webhooks     {}/webhooks/whatsapp""",
                reach, base, base, token.whereToFind(), base, base, base, base, base);
    }
}

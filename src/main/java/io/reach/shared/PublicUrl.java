package io.reach.shared;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * The address providers call Reach back on ({@code reach.public-url}, e.g. https://reach.example.com); by default
 * Reach's own loopback address, which is what the sandbox network uses.
 */
@Component
public class PublicUrl {

    private final String configured;
    private volatile int localPort = 8080;

    PublicUrl(@Value("${reach.public-url:}") String configured) {
        this.configured = configured == null ? "" : configured.trim().replaceAll("/+$", "");
    }

    @EventListener
    void onWebServer(WebServerInitializedEvent event) {
        if (event.getApplicationContext().getServerNamespace() == null) {
            localPort = event.getWebServer().getPort();
        }
    }

    /** The absolute URL of a path of Reach, as a provider outside reaches it. */
    public String of(String path) {
        String base = configured.isEmpty() ? "http://127.0.0.1:" + localPort : configured;
        return base + path;
    }
}

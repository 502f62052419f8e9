package io.reach.flow;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.stereotype.Component;

/**
 * The hosts a {@code fetch_variables} step may call ({@code reach.flows.fetch-hosts}): a host name or address, or
 * {@code *.example.com} for the hosts under a domain; any host while none is set. Whoever writes flows can otherwise
 * make Reach call whatever its network reaches (an internal service, a cloud's metadata address).
 */
@Component
public class FetchHosts {

    static final String SETTING = "reach.flows.fetch-hosts";

    private final List<String> allowed;

    FetchHosts(@Value("${" + SETTING + ":}") List<String> configured) {
        List<String> hosts = new ArrayList<>();
        for (String entry : configured) {
            String host = entry.trim().toLowerCase(Locale.ROOT);
            if (host.isEmpty()) {
                continue;
            }
            String bare = host.startsWith("*.") ? host.substring(2) : host;
            if (bare.isEmpty() || bare.contains("*") || bare.contains("/") || bare.contains("@")
                    || (bare.contains(":") && !bare.startsWith("["))) {
                throw new InvalidConfigurationPropertyValueException(SETTING, String.join(",", configured),
                        "'" + entry.trim() + "' is not a host: write a host name or address (api.example.com, 10.0.0.7,"
                                + " [::1]), or *.example.com for the hosts under a domain, without a scheme, port or path");
            }
            hosts.add(host);
        }
        this.allowed = List.copyOf(hosts);
    }

    /** Whether a fetch may call {@code host} (as {@link URI#getHost()} gives it; null for none). */
    public boolean allows(String host) {
        if (allowed.isEmpty()) {
            return true;
        }
        if (host == null || host.isEmpty()) {
            return false;
        }
        String name = host.toLowerCase(Locale.ROOT);
        if (name.endsWith(".")) {
            // The fully qualified form names the same host.
            name = name.substring(0, name.length() - 1);
        }
        for (String entry : allowed) {
            if (entry.startsWith("*.") ? name.endsWith(entry.substring(1)) : name.equals(entry)) {
                return true;
            }
        }
        return false;
    }

    /** Why a fetch of {@code url} may not be made, or empty when it may (or its host is not known yet). */
    public Optional<String> refusal(URI url) {
        String host = url.getHost();
        return allows(host) ? Optional.empty() : Optional.of("the host " + (host == null ? "of " + url : host)
                + " is not one " + SETTING + " allows (" + String.join(", ", allowed) + ")");
    }

    /**
     * The host of a step's URL as written, when its scheme and host hold no placeholder (they are known before any
     * journey runs); empty otherwise.
     */
    static Optional<URI> literalHost(String url) {
        int scheme = url.indexOf("://");
        if (scheme < 0) {
            return Optional.empty();
        }
        int end = url.length();
        for (char c : new char[] {'/', '?', '#'}) {
            int at = url.indexOf(c, scheme + 3);
            if (at >= 0 && at < end) {
                end = at;
            }
        }
        String authority = url.substring(0, end);
        if (authority.contains("{{")) {
            return Optional.empty();
        }
        try {
            return Optional.of(URI.create(authority));
        } catch (IllegalArgumentException unparsable) {
            return Optional.empty();
        }
    }
}

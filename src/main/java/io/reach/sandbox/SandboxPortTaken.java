package io.reach.sandbox;

/**
 * A server of the sandbox network could not listen on its port: most often another process holds it, another Reach
 * started earlier with its own sandbox. {@link SandboxPortTakenAnalyzer} says so, and what to do, when Reach fails to
 * start.
 */
class SandboxPortTaken extends RuntimeException {

    private final String server;
    private final int port;
    private final String property;

    SandboxPortTaken(String server, int port, String property, java.io.IOException cause) {
        super("The sandbox's " + server + " cannot listen on port " + port + " (set " + property
                + " to a free port, or 0)", cause);
        this.server = server;
        this.port = port;
        this.property = property;
    }

    String server() {
        return server;
    }

    int port() {
        return port;
    }

    /** The setting that moves the server to another port. */
    String property() {
        return property;
    }

    /** The same setting as an environment variable (Spring Boot's relaxed binding: dots to _, no dashes, upper case). */
    String environmentVariable() {
        return property.replace("-", "").replace('.', '_').toUpperCase(java.util.Locale.ROOT);
    }
}

package io.reach.sandbox;

import io.reach.shared.CannotStart;
import java.io.IOException;
import java.net.BindException;

/**
 * Why the sandbox network cannot start, for reasons its user can put right: a port another process holds (most often
 * another Reach, started earlier with its own sandbox), or a handset rules file that cannot be read or is not valid.
 */
final class SandboxCannotStart {

    private SandboxCannotStart() {}

    /** The {@code server} (Graph API, SMSC, Twilio) cannot listen on {@code port}, which {@code property} sets. */
    static CannotStart portTaken(String server, int port, String property, IOException cause) {
        String why = cause instanceof BindException && cause.getMessage() != null && cause.getMessage().contains("in use")
                ? "another process holds it (another Reach, started earlier with its own sandbox?)"
                : String.valueOf(cause.getMessage() == null ? cause : cause.getMessage());
        return new CannotStart("The sandbox network's " + server + " cannot listen on port " + port + ": " + why + ".",
                "Stop that process; or give the sandbox's " + server + " another port: set " + property + " (environment: "
                        + CannotStart.environmentVariable(property) + ") to a free port, or to 0 for any free one; or, if"
                        + " this Reach should run no sandbox, set reach.sandbox.enabled=false (REACH_SANDBOX_ENABLED=false).",
                cause);
    }

    /** The handset rules file cannot be read, or does not say what it should (see the shipped handsets.yml). */
    static CannotStart rulesNotUsable(String file, String problem, Throwable cause) {
        return new CannotStart("The sandbox's handset rules " + file + " " + problem + ".",
                "Put it right (src/main/resources/sandbox/handsets.yml, the rules Reach ships, documents every key), or"
                        + " leave reach.sandbox.rules-file (REACH_SANDBOX_RULESFILE) unset to use the shipped rules.", cause);
    }
}

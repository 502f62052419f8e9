package io.reach.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.reach.shared.CannotStart;
import io.reach.support.ReachNode;
import io.reach.support.TestDatabase;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/** A second Reach that meets the first one's HTTP port or its sandbox's ports says so, and what to do, rather than a stack trace. */
@ExtendWith(OutputCaptureExtension.class)
class SandboxPortsIT {

    @Test
    void aSandboxPortHeldByAnotherProcessStopsTheStartWithWhatToDo(CapturedOutput output) throws Exception {
        try (ServerSocket held = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Throwable failed = catchThrowable(() -> ReachNode.start("ports", TestDatabase.fresh(),
                    Map.of("reach.sandbox.smpp.port", String.valueOf(held.getLocalPort()))).close());

            assertThat(failed).hasRootCauseInstanceOf(BindException.class);
            assertThat(output.getAll()).contains("APPLICATION FAILED TO START")
                    .contains("The sandbox network's SMSC cannot listen on port " + held.getLocalPort()
                            + ": another process holds it (another Reach, started earlier with its own sandbox?).")
                    .contains("set reach.sandbox.smpp.port (environment: REACH_SANDBOX_SMPP_PORT) to a free port, or to 0");
        }
    }

    @Test
    void anHttpPortHeldByAnotherProcessStopsTheStartWithTheSettingThatMovesIt(CapturedOutput output) throws Exception {
        try (ServerSocket held = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Throwable failed = catchThrowable(() -> ReachNode.start("http-port", TestDatabase.fresh(),
                    Map.of("server.port", String.valueOf(held.getLocalPort()), "server.address", "127.0.0.1",
                            "reach.sandbox.enabled", "false")).close());

            assertThat(failed).isNotNull();
            assertThat(output.getAll()).contains("APPLICATION FAILED TO START")
                    .contains("Reach cannot listen on port " + held.getLocalPort() + ": another process holds it")
                    .contains("SERVER_PORT=8081 ./mvnw spring-boot:run");
        }
    }

    @Test
    void namesTheEnvironmentVariableOfEachSandboxPort() {
        assertThat(CannotStart.environmentVariable("reach.sandbox.graph-api-port")).isEqualTo("REACH_SANDBOX_GRAPHAPIPORT");
        assertThat(CannotStart.environmentVariable("reach.sandbox.twilio.port")).isEqualTo("REACH_SANDBOX_TWILIO_PORT");
    }
}

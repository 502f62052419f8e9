package io.reach.sandbox;

import io.reach.contact.Contacts;
import io.reach.messaging.sms.SmsEncoding;
import io.reach.shared.ApiException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.Locale;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * Lets a sandbox handset write to Reach, as a person types: a WhatsApp text or an SMS, through the same webhook or
 * SMPP path as any inbound message. For trying out typed replies and STOP with the sandbox; it answers only on the
 * node that runs the sandbox.
 */
@Tag(name = "Sandbox", description = "The sandbox network's handsets, for trying Reach out")
@RestController
class SandboxHandsetController {

    /** What a handset writes: {@code from} its number, {@code channel} whatsapp (the default) or sms. */
    record HandsetMessage(String from, String channel, String text) {}

    // WhatsApp's longest text body.
    private static final int LONGEST_TEXT = 4096;

    private final ObjectProvider<SandboxNetwork> sandbox;
    private final Contacts contacts;

    SandboxHandsetController(ObjectProvider<SandboxNetwork> sandbox, Contacts contacts) {
        this.sandbox = sandbox;
        this.contacts = contacts;
    }

    @ApiResponse(responseCode = "202", description = "the handset wrote it: Reach gets it as from a provider")
    @ApiResponse(responseCode = "409", description = "the sandbox is off on this node (sandbox_off), or no SMPP"
            + " session is bound (not_bound)")
    @Operation(operationId = "writeSandboxInboundMessage", summary = "Make a sandbox handset write to Reach (a WhatsApp text or an SMS), as a person types")
    @PostMapping("/api/v1/sandbox/inbound-messages")
    ResponseEntity<Map<String, String>> write(@RequestBody HandsetMessage message) {
        SandboxNetwork network = sandbox.getIfAvailable();
        if (network == null) {
            throw new ApiException(HttpStatus.CONFLICT, "sandbox_off",
                    "The sandbox network does not run on this node (reach.sandbox.enabled=false)");
        }
        String from = contacts.phoneNumbers().require("from", message.from());
        String channel = message.channel() == null ? "whatsapp" : message.channel().trim().toLowerCase(Locale.ROOT);
        if (!channel.equals("whatsapp") && !channel.equals("sms")) {
            throw ApiException.invalidField("channel", "is whatsapp or sms");
        }
        if (message.text() == null || message.text().isBlank()) {
            throw ApiException.invalidField("text", "is required");
        }
        if (message.text().length() > LONGEST_TEXT) {
            throw ApiException.invalidField("text", "is longer than " + LONGEST_TEXT + " characters");
        }
        if (channel.equals("sms") && SmsEncoding.encode(message.text(), 0).parts().size() > 1) {
            throw ApiException.invalidField("text", "is more than one SMS part: a handset's SMS here is at most 160 GSM"
                    + " characters, or 70 with others");
        }
        try {
            network.handsetWrites(from, channel.equals("sms"), message.text());
        } catch (IllegalStateException e) {
            throw new ApiException(HttpStatus.CONFLICT, "not_bound", "The SMS could not be delivered: " + e.getMessage());
        }
        return ResponseEntity.accepted().body(Map.of("from", from, "channel", channel, "text", message.text()));
    }
}

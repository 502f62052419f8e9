package io.reach.messaging.whatsapp;

import io.reach.sender.Senders;
import io.reach.sender.WhatsAppAccount;
import io.reach.shared.ApiError;
import io.reach.shared.ApiException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirements;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Meta's webhook endpoint. GET answers the subscription handshake; POST checks the signature with the app secret
 * of the sender named by {@code metadata.phone_number_id}, stores the raw payload, applies it in the same transaction
 * when it can, and answers 200; what cannot be applied at once is processed afterwards ({@link WhatsAppWebhookProcessor}).
 */
// No API token: each is checked against its provider's signature (or verify token).
@SecurityRequirements
@Tag(name = "Provider webhooks")
@RestController
class WhatsAppWebhookController {

    /** Where Meta's webhooks are kept in the inbox. */
    static final String SOURCE = "WHATSAPP";

    private final Senders senders;
    private final WhatsAppWebhookProcessor processor;
    private final JsonMapper json;
    private final WebhookRefusals refusals;

    WhatsAppWebhookController(Senders senders, WhatsAppWebhookProcessor processor, JsonMapper json,
                              WebhookRefusals refusals) {
        this.senders = senders;
        this.processor = processor;
        this.json = json;
        this.refusals = refusals;
    }

    @ApiResponse(responseCode = "200", description = "hub.challenge, as it came",
            content = @Content(mediaType = "text/plain", schema = @Schema(type = "string")))
    @ApiResponse(responseCode = "403", description = "not subscribe, or not a sender's verify token")
    @Operation(operationId = "verifyWhatsAppWebhook", summary = "Meta's check of the webhook's address (answers hub.challenge to the right verify token)")
    @GetMapping("/webhooks/whatsapp")
    ResponseEntity<?> verify(@Parameter(description = "subscribe, as Meta sends it")
                             @RequestParam(name = "hub.mode", required = false) String mode,
                             @Parameter(description = "the verify token set in Meta's app, which must be one of a"
                                     + " sender's")
                             @RequestParam(name = "hub.verify_token", required = false) String token,
                             @Parameter(description = "answered back as it is when the token matches")
                             @RequestParam(name = "hub.challenge", required = false) String challenge) {
        if ("subscribe".equals(mode) && challenge != null && senders.isVerifyToken(token)) {
            return ResponseEntity.ok().contentType(MediaType.TEXT_PLAIN).body(challenge);
        }
        return ResponseEntity.status(HttpStatus.FORBIDDEN).body(new ApiError("verification_failed",
                "hub.mode must be 'subscribe' and hub.verify_token must be a sender's verify token", List.of()));
    }

    /**
     * The largest webhook body read. Meta's payloads are at most 3 MB; the endpoint is public and its body is read
     * before its signature can be checked, so a larger one is refused unread rather than held in memory.
     */
    static final int MAX_BODY_BYTES = 8 * 1024 * 1024;

    @ApiResponse(responseCode = "200", description = "taken: applied, or kept to be applied shortly")
    @ApiResponse(responseCode = "400", description = "not a WhatsApp webhook: empty, not JSON, no entry array")
    @ApiResponse(responseCode = "401", description = "no sender has its phone number id, or its X-Hub-Signature-256 does"
            + " not match that sender's app secret: nothing is kept")
    @ApiResponse(responseCode = "413", description = "a body over 8 MB, refused unread")
    @ApiResponse(responseCode = "503", description = "Reach's database is out of reach: Meta sends it again")
    @Operation(operationId = "receiveWhatsAppWebhook", summary = "Meta's webhook: statuses and messages received, signed with the app's secret")
    @io.swagger.v3.oas.annotations.parameters.RequestBody(description = "Meta's payload: {\"object\":"
            + " \"whatsapp_business_account\", \"entry\": [...]}", required = true, content = @Content(
            mediaType = "application/json", schema = @Schema(types = "object")))
    @PostMapping("/webhooks/whatsapp")
    ResponseEntity<Void> receive(HttpServletRequest request,
                                 @RequestHeader(name = "X-Hub-Signature-256", required = false) String signature) {
        if (request.getContentLengthLong() > MAX_BODY_BYTES) {
            throw tooLarge();
        }
        byte[] body;
        try {
            body = request.getInputStream().readNBytes(MAX_BODY_BYTES + 1);
        } catch (IOException broken) {
            // The sender went away mid-body: as a body that cannot be read, not as a failure of Reach's.
            throw ApiException.badRequest("malformed_webhook", "The webhook body could not be read", List.of());
        }
        if (body.length > MAX_BODY_BYTES) {
            throw tooLarge();
        }
        if (body.length == 0) {
            throw ApiException.badRequest("malformed_webhook", "The webhook body is empty", List.of());
        }
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (JacksonException e) {
            throw ApiException.badRequest("malformed_webhook", "The webhook body is not valid JSON", List.of());
        }
        if (root == null || !root.isObject() || !root.path("entry").isArray()) {
            throw ApiException.badRequest("malformed_webhook", "A WhatsApp webhook is an object with an 'entry' array", List.of());
        }
        Set<WhatsAppAccount> accounts = accountsOf(root);
        if (accounts.isEmpty()) {
            throw new ApiException(HttpStatus.UNAUTHORIZED, "unknown_sender",
                    "No sender has the phone_number_id (or WABA id) of this webhook, so its signature cannot be checked");
        }
        // Every number named in one payload must share the app secret that signed it.
        for (WhatsAppAccount account : accounts) {
            if (!WebhookSignature.matches(body, account.credentials().appSecret(), signature)) {
                if (signature != null) {
                    refusals.refused(account.sender());
                }
                throw new ApiException(HttpStatus.UNAUTHORIZED, "invalid_signature",
                        "X-Hub-Signature-256 does not match the body signed with the sender's app secret");
            }
        }
        accounts.forEach(account -> refusals.accepted(account.sender()));
        processor.receive(accounts.iterator().next().sender().id(), new String(body, StandardCharsets.UTF_8));
        return ResponseEntity.ok().build();
    }

    private static ApiException tooLarge() {
        return new ApiException(HttpStatus.CONTENT_TOO_LARGE, "webhook_too_large",
                "A WhatsApp webhook is at most " + MAX_BODY_BYTES / 1024 / 1024 + " MiB (Meta's are at most 3 MB)");
    }

    private Set<WhatsAppAccount> accountsOf(JsonNode root) {
        Set<WhatsAppAccount> accounts = new LinkedHashSet<>();
        for (JsonNode entry : root.path("entry")) {
            boolean named = false;
            for (JsonNode change : entry.path("changes")) {
                String phoneNumberId = change.path("value").path("metadata").path("phone_number_id").asString(null);
                if (phoneNumberId != null) {
                    named = true;
                    Optional<WhatsAppAccount> account = senders.byPhoneNumberId(phoneNumberId);
                    if (account.isEmpty()) {
                        refusals.unknownNumber(phoneNumberId,
                                change.path("value").path("metadata").path("display_phone_number").asString(null));
                        return Set.of();
                    }
                    accounts.add(account.get());
                }
            }
            if (!named) {
                String wabaId = entry.path("id").asString(null);
                senders.whatsAppNumbersOf(wabaId).stream().findFirst()
                        .flatMap(s -> senders.byPhoneNumberId(s.phoneNumberId())).ifPresent(accounts::add);
            }
        }
        return accounts;
    }
}

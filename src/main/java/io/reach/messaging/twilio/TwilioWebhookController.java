package io.reach.messaging.twilio;

import com.twilio.security.RequestValidator;
import io.reach.sender.ProviderAccount;
import io.reach.sender.Senders;
import io.reach.shared.ApiException;
import io.reach.shared.PublicUrl;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirements;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.json.JsonMapper;

/**
 * Twilio's callbacks: message and call status callbacks, and incoming SMS. Each is checked against
 * {@code X-Twilio-Signature} with the auth token of the sender whose account it names (401 and nothing stored when
 * it does not match), stored, and applied in the same transaction when it can be (otherwise afterwards).
 */
// No API token: each is checked against its provider's signature (or verify token).
@SecurityRequirements
@Tag(name = "Provider webhooks", description = "What providers post to Reach, each checked against its signature")
@RestController
class TwilioWebhookController {

    /** What the API document says of each of Twilio's callbacks: the form it posts, and the refusals. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.METHOD)
    @ApiResponse(responseCode = "401", description = "no sender has its AccountSid, or its X-Twilio-Signature does not"
            + " match the sender's auth token: nothing is kept")
    @ApiResponse(responseCode = "503", description = "Reach's database is out of reach")
    @io.swagger.v3.oas.annotations.parameters.RequestBody(description = "Twilio's parameters (MessageSid or CallSid,"
            + " AccountSid, the status, …)", required = true, content = @Content(
            mediaType = MediaType.APPLICATION_FORM_URLENCODED_VALUE, schema = @Schema(types = "object",
            additionalProperties = Schema.AdditionalPropertiesValue.TRUE)))
    @interface TwilioCallback {}

    static final String SOURCE = "TWILIO";

    private final Senders senders;
    private final TwilioCallbackProcessor processor;
    private final PublicUrl publicUrl;
    private final JsonMapper json;

    TwilioWebhookController(Senders senders, TwilioCallbackProcessor processor, PublicUrl publicUrl, JsonMapper json) {
        this.senders = senders;
        this.processor = processor;
        this.publicUrl = publicUrl;
        this.json = json;
    }

    @ApiResponse(responseCode = "200", description = "taken: applied, or kept to be applied shortly")
    @TwilioCallback
    @Operation(operationId = "receiveTwilioStatus", summary = "Twilio's status callback about an SMS or a call")
    @PostMapping(path = TwilioGateway.STATUS_CALLBACK_PATH + "/{messageId}", consumes = MediaType.APPLICATION_FORM_URLENCODED_VALUE)
    ResponseEntity<Void> status(HttpServletRequest request, @Parameter(hidden = true) @RequestParam MultiValueMap<String, String> form,
                                @RequestHeader(name = "X-Twilio-Signature", required = false) String signature,
                                @PathVariable String messageId) {
        ProviderAccount account = verified(request, form, signature);
        store(account, "status", form, messageId);
        return ResponseEntity.ok().build();
    }

    @ApiResponse(responseCode = "200", description = "taken: applied, or kept to be applied shortly")
    @TwilioCallback
    @Operation(operationId = "receiveTwilioStatusWithoutMessage", summary = "Twilio's status callback to an address"
            + " that names no message (set at Twilio by hand): the message is found by its SID")
    @PostMapping(path = TwilioGateway.STATUS_CALLBACK_PATH, consumes = MediaType.APPLICATION_FORM_URLENCODED_VALUE)
    ResponseEntity<Void> statusWithoutMessage(HttpServletRequest request, @Parameter(hidden = true) @RequestParam MultiValueMap<String, String> form,
                                              @RequestHeader(name = "X-Twilio-Signature", required = false) String signature) {
        ProviderAccount account = verified(request, form, signature);
        store(account, "status", form, null);
        return ResponseEntity.ok().build();
    }

    @ApiResponse(responseCode = "200", description = "taken; an empty TwiML answer (no reply is sent)")
    @TwilioCallback
    @Operation(operationId = "receiveTwilioInbound", summary = "Twilio's webhook for an SMS received")
    @PostMapping(path = "/webhooks/twilio/inbound", consumes = MediaType.APPLICATION_FORM_URLENCODED_VALUE,
            produces = MediaType.APPLICATION_XML_VALUE)
    ResponseEntity<String> inbound(HttpServletRequest request, @Parameter(hidden = true) @RequestParam MultiValueMap<String, String> form,
                                   @RequestHeader(name = "X-Twilio-Signature", required = false) String signature) {
        ProviderAccount account = verified(request, form, signature);
        store(account, "inbound", form, null);
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_XML).body("<Response/>");
    }

    private ProviderAccount verified(HttpServletRequest request, MultiValueMap<String, String> form, String signature) {
        String url = publicUrl.of(request.getRequestURI() + (request.getQueryString() == null ? "" : "?" + request.getQueryString()));
        Map<String, String> params = new TreeMap<>();
        form.forEach((name, values) -> params.put(name, values.getFirst()));
        List<ProviderAccount> accounts = senders.byTwilioAccount(params.get("AccountSid"));
        if (signature == null || accounts.isEmpty()) {
            throw new ApiException(HttpStatus.UNAUTHORIZED, "invalid_signature",
                    "The callback names no Twilio account of a sender, or carries no X-Twilio-Signature");
        }
        return accounts.stream().filter(a -> new RequestValidator(a.secret()).validate(url, params, signature)).findFirst()
                .orElseThrow(() -> new ApiException(HttpStatus.UNAUTHORIZED, "invalid_signature",
                        "X-Twilio-Signature does not match this callback signed with the sender's auth token"));
    }

    private void store(ProviderAccount account, String kind, MultiValueMap<String, String> form, String messageId) {
        Map<String, String> body = new TreeMap<>();
        form.forEach((name, values) -> body.put(name, values.getFirst()));
        body.put("_kind", kind);
        if (messageId != null) {
            body.put("_messageId", messageId);
        }
        processor.receive(account.sender().id(), json.writeValueAsString(body));
    }
}

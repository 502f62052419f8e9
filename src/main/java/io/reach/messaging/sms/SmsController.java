package io.reach.messaging.sms;

import io.reach.messaging.SendResult;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** REST API to send an SMS to one contact. */
@Tag(name = "Messages")
@RestController
class SmsController {

    private final SmsSending sending;

    SmsController(SmsSending sending) {
        this.sending = sending;
    }

    @ApiResponse(responseCode = "200", description = "blocked (nothing will be sent, the answer says why), or the message"
            + " an earlier request with this idempotency key made")
    @ApiResponse(responseCode = "202", description = "queued for sending")
    @ApiResponse(responseCode = "404", description = "no sender has that name or id, or no contact has the number"
            + " (create it first, with its consent)")
    @ApiResponse(responseCode = "409", description = "the idempotencyKey was used for another message (key_reused)")
    @Operation(operationId = "sendSms", summary = "Send an SMS (SMPP or Twilio)")
    @PostMapping(path = "/api/v1/messages/sms", consumes = "application/json")
    ResponseEntity<SendResult> send(@RequestBody SendSmsRequest request) {
        return sending.send(request).asResponse();
    }
}

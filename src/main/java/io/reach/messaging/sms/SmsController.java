package io.reach.messaging.sms;

import io.reach.messaging.SendResult;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** REST API to send an SMS to one contact. */
@RestController
class SmsController {

    private final SmsSending sending;

    SmsController(SmsSending sending) {
        this.sending = sending;
    }

    @PostMapping(path = "/api/v1/messages/sms", consumes = "application/json")
    ResponseEntity<SendResult> send(@RequestBody SendSmsRequest request) {
        return sending.send(request).asResponse();
    }
}

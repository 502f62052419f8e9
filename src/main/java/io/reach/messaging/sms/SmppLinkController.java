package io.reach.messaging.sms;

import io.reach.shared.AnswersWithoutDatabase;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** Shows whether each SMPP sender's session is bound: SMS to a sender whose link is down wait, queued. */
@Tag(name = "Senders")
@RestController
class SmppLinkController {

    /** One SMPP sender's link. */
    @Schema(name = "SmppLink")
    record LinkState(String senderId, String sender, boolean bound) {}

    private final SmppLinks links;

    SmppLinkController(SmppLinks links) {
        this.links = links;
    }

    @Operation(operationId = "listSmppLinks", summary = "Whether each SMPP sender's session is bound")
    @GetMapping("/api/v1/smpp-links")
    @AnswersWithoutDatabase
    List<LinkState> links() {
        return links.states();
    }
}

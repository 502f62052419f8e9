package io.reach.messaging.whatsapp;

import io.reach.sender.Senders;
import io.reach.shared.ApiException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** REST API to take a WhatsApp Business Account's templates from Meta rather than registering each by hand. */
@Tag(name = "Templates")
@RestController
class TemplateSyncController {

    private final Senders senders;
    private final TemplateSync sync;

    TemplateSyncController(Senders senders, TemplateSync sync) {
        this.senders = senders;
        this.sync = sync;
    }

    /** Which sender's account to take the templates of: its name or id. */
    record SyncRequest(String sender) {}

    @ApiResponse(responseCode = "200", description = "what the sync created, updated, left unchanged and skipped")
    @ApiResponse(responseCode = "404", description = "no WhatsApp sender has that name or id")
    @ApiResponse(responseCode = "502", description = "Meta refused (an expired token) or was out of reach: nothing changed")
    @Operation(operationId = "syncTemplates", summary = "Take the templates of a WhatsApp sender's Business Account from Meta: registers those Reach"
            + " does not have and brings the others in line (category, status, components); lists those it cannot send")
    @PostMapping(path = "/api/v1/templates/sync", consumes = "application/json")
    TemplateSync.Result sync(@RequestBody SyncRequest request) {
        if (request.sender() == null || request.sender().isBlank()) {
            throw ApiException.invalidField("sender", "is required: the name or id of the WhatsApp sender whose account's"
                    + " templates to take");
        }
        return sync.sync(WhatsAppSenderLookup.resolve(senders, request.sender()));
    }
}

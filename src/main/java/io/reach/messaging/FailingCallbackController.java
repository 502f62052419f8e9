package io.reach.messaging;

import io.reach.shared.ApiException;
import io.reach.shared.Pages;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import java.util.Locale;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * REST API over the providers' callbacks that Reach stored and could not apply: those whose last attempt failed, to
 * see why, to try one again now that its cause is put right, and to give up one that will never apply (it is
 * otherwise tried again for as long as it fails); and those given up, to see them and to bring one back.
 */
@Tag(name = "Callbacks", description = "Providers' webhooks and callbacks that Reach stored and could not apply")
@RestController
class FailingCallbackController {

    private final WebhookInbox inbox;
    private final List<InboxProcessor> processors;
    private final List<String> sources;

    FailingCallbackController(WebhookInbox inbox, List<InboxProcessor> processors) {
        this.inbox = inbox;
        this.processors = processors;
        this.sources = InboxProcessor.sourcesOf(processors);
    }

    @ApiResponse(responseCode = "200",
            description = "a page of stored callbacks whose last attempt failed (or, with discarded=true, of those given up), oldest first",
            headers = @Header(name = "Link", description = Pages.NEXT_LINK))
    @Operation(operationId = "listFailingCallbacks", summary = "Stored callbacks whose last attempt failed (or, with discarded=true, those given up), oldest first")
    @GetMapping("/api/v1/failing-callbacks")
    ResponseEntity<List<FailingCallback>> list(@Parameter(description = "only the callbacks of one provider: whatsapp,"
                                                       + " smpp or twilio")
                                               @RequestParam(required = false) String source,
                                               @Parameter(description = "true: the callbacks given up instead (each"
                                                       + " with discardedAt), which POST /failing-callbacks/{id}/retry"
                                                       + " brings back")
                                               @RequestParam(defaultValue = "false") boolean discarded,
                                               @RequestParam(required = false) Long after,
                                               @RequestParam(defaultValue = "100") int limit) {
        Pages.checkLimit(limit, 0);
        String stored = source == null ? null : source.toUpperCase(Locale.ROOT);
        if (stored != null && !sources.contains(stored)) {
            throw ApiException.invalidField("source", "must be one of " + sources.stream()
                    .map(name -> name.toLowerCase(Locale.ROOT)).toList());
        }
        return Pages.withNextLink(inbox.failing(stored, discarded, after, limit), limit, "/api/v1/failing-callbacks?limit=" + limit
                + (source == null ? "" : "&source=" + Pages.encoded(source)) + (discarded ? "&discarded=true" : ""),
                FailingCallback::id);
    }

    /** Gives up a callback that failed: it is no longer tried, and stays in the inbox with its error. */
    @ApiResponse(responseCode = "204",
            description = "given up: no longer tried, kept in the inbox with its error")
    @Operation(operationId = "discardFailingCallback", summary = "Give up a failing callback: no longer tried, kept with its error")
    @PostMapping("/api/v1/failing-callbacks/{id}/discard")
    ResponseEntity<Void> discard(@PathVariable long id) {
        return answer(id, inbox.discard(id), ResponseEntity.noContent().build(),
                "waits for a retry after a failure (it was applied, discarded, or never failed)");
    }

    /**
     * Tries a callback that failed again now, instead of at the end of its backoff (up to 5 minutes); one given up
     * comes back and is tried again.
     */
    @ApiResponse(responseCode = "202",
            description = "due now: this node's processor tries it again in a moment (a discarded one too: it is no longer given up)")
    @ApiResponse(responseCode = "409", description = "the callback is being applied right now (being_applied)")
    @Operation(operationId = "retryFailingCallback", summary = "Try a failing callback again now (one given up comes back)")
    @PostMapping("/api/v1/failing-callbacks/{id}/retry")
    ResponseEntity<Void> retry(@PathVariable long id) {
        ResponseEntity<Void> accepted = answer(id, inbox.retryNow(id), ResponseEntity.accepted().build(),
                "failed or was discarded (it was applied or never failed; one applied or discarded long ago was deleted)");
        processors.forEach(InboxProcessor::wake);
        return accepted;
    }

    private static ResponseEntity<Void> answer(long id, WebhookInbox.Handled handled, ResponseEntity<Void> done, String notFound) {
        return switch (handled) {
            case DONE -> done;
            case NOT_FAILING -> throw new ApiException(HttpStatus.NOT_FOUND, "not_found", "no stored callback " + id + " " + notFound);
            case BEING_APPLIED -> throw new ApiException(HttpStatus.CONFLICT, "being_applied", "callback " + id
                    + " is being tried again right now; ask again once that attempt is over");
        };
    }
}

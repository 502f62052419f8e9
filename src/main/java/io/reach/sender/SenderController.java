package io.reach.sender;

import io.reach.shared.ApiException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** REST API of senders. Secrets go in, never out. */
@Tag(name = "Senders", description = "WhatsApp numbers, SMPP links and Twilio accounts that send: secrets go in, never out")
@RestController
@RequestMapping("/api/v1/senders")
class SenderController {

    private final Senders senders;

    SenderController(Senders senders) {
        this.senders = senders;
    }

    @ApiResponse(responseCode = "201", description = "the sender created")
    @ApiResponse(responseCode = "409", description = "a sender has that name, or that number, already")
    @Operation(operationId = "registerSender", summary = "Register a sender; its secrets are never shown again")
    @PostMapping(consumes = "application/json")
    ResponseEntity<Sender> register(@RequestBody SenderRequest request) {
        Sender sender = senders.register(request);
        return ResponseEntity.created(URI.create("/api/v1/senders/" + sender.id())).body(sender);
    }

    @Operation(operationId = "listSenders", summary = "Every sender, without its secrets")
    @GetMapping
    List<Sender> list() {
        return senders.list();
    }

    @Operation(operationId = "getSender", summary = "One sender, by its id or name, without its secrets")
    @GetMapping("/{idOrName}")
    Sender get(@PathVariable String idOrName) {
        return senders.get(idOf(idOrName));
    }

    @ApiResponse(responseCode = "200", description = "the sender as changed (its secrets never shown)")
    @ApiResponse(responseCode = "409", description = "another sender has that name, or that number")
    @Operation(operationId = "updateSender", summary = "Change a sender's settings or secrets (the sender by its id or name)")
    @PatchMapping(path = "/{idOrName}", consumes = "application/json")
    Sender update(@PathVariable String idOrName, @RequestBody SenderRequest request) {
        return senders.update(idOf(idOrName), request);
    }

    @ApiResponse(responseCode = "204", description = "deleted")
    @ApiResponse(responseCode = "409", description = "something uses it (sender_in_use, saying what)")
    @Operation(operationId = "deleteSender", summary = "Delete a sender nothing uses (409 sender_in_use says what does: a flow version that names it,"
            + " messages sent or received through it, the sandbox)")
    @DeleteMapping("/{idOrName}")
    ResponseEntity<Void> delete(@PathVariable String idOrName) {
        senders.delete(idOf(idOrName));
        return ResponseEntity.noContent().build();
    }

    private UUID idOf(String idOrName) {
        return senders.idOf(idOrName).orElseThrow(() -> ApiException.notFound("Sender", idOrName));
    }
}

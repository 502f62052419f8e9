package io.reach.sender;

import io.reach.shared.Ids;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import java.net.URI;
import java.util.List;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** REST API of senders. Secrets go in, never out. */
@RestController
@RequestMapping("/api/v1/senders")
class SenderController {

    private final Senders senders;

    SenderController(Senders senders) {
        this.senders = senders;
    }

    @ApiResponse(responseCode = "201", description = "the sender created")
    @PostMapping(consumes = "application/json")
    ResponseEntity<Sender> register(@RequestBody SenderRequest request) {
        Sender sender = senders.register(request);
        return ResponseEntity.created(URI.create("/api/v1/senders/" + sender.id())).body(sender);
    }

    @GetMapping
    List<Sender> list() {
        return senders.list();
    }

    @GetMapping("/{id}")
    Sender get(@PathVariable String id) {
        return senders.get(Ids.parse("id", id));
    }

    @PatchMapping(path = "/{id}", consumes = "application/json")
    Sender update(@PathVariable String id, @RequestBody SenderRequest request) {
        return senders.update(Ids.parse("id", id), request);
    }
}

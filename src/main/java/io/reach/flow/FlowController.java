package io.reach.flow;

import io.reach.shared.Pages;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** REST API of flows: import, validate, edit drafts, publish, export. */
@Tag(name = "Flows", description = "Flow documents: import, validate, drafts, versions, publish, export")
@RestController
class FlowController {

    /** What a flow document is, as the API document says of the bodies that carry one. */
    static final String FLOW_DOCUMENT = "a flow document (docs/flows.md; its JSON Schema: /schemas/flow.schema.json)";

    private final Flows flows;

    FlowController(Flows flows) {
        this.flows = flows;
    }

    /** Imports a flow document as a draft (refused whole, with every problem, when it is not valid). */
    @ApiResponse(responseCode = "201", description = "the draft: a new flow's first, or the next one of the flow with this name")
    @Operation(operationId = "importFlow", summary = "Import a flow document: a new flow's first draft, or the new draft of the flow of that name (refused whole when invalid)")
    @PostMapping(path = "/api/v1/flows", consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<FlowVersion> importFlow(@Schema(types = "object", description = FLOW_DOCUMENT) @RequestBody String document) {
        FlowVersion version = flows.withWarnings(flows.importDocument(document));
        return ResponseEntity.created(URI.create("/api/v1/flows/" + version.flowId())).body(version);
    }

    @Operation(operationId = "validateFlow", summary = "Check a flow document, naming each problem's step, and warning of templates Meta has not"
            + " approved and of free-form texts sent before the contact wrote; stores nothing")
    @PostMapping(path = "/api/v1/flows/validate", consumes = MediaType.APPLICATION_JSON_VALUE)
    Map<String, Object> validate(@Schema(types = "object", description = FLOW_DOCUMENT) @RequestBody String document) {
        Flows.Validation validation = flows.validate(document);
        return Map.of("valid", validation.problems().isEmpty(), "problems", validation.problems(),
                "warnings", validation.warnings());
    }

    /**
     * A page of the flows, in the order of their names, each as its newest version. A full page links the next one
     * ({@code Link: <…&after=…>; rel="next"}): {@code after} is the last flow's name.
     */
    @ApiResponse(responseCode = "200", description = "a page of flows, by name",
            headers = @Header(name = "Link", description = "on a full page, the next one: <path?…&after=last flow's name>;"
                    + " rel=\"next\""))
    @Operation(operationId = "listFlows", summary = "The flows in the order of their names, each as its newest version")
    @GetMapping("/api/v1/flows")
    ResponseEntity<List<FlowVersion>> list(@Parameter(description = "the last flow's name on the page before")
                                           @RequestParam(required = false) String after,
                                           @RequestParam(defaultValue = "100") int limit) {
        Pages.checkLimit(limit, 0);
        List<FlowVersion> page = flows.latestVersions(after, limit);
        return Pages.withNextLink(page, limit, "/api/v1/flows?limit=" + limit, version -> Pages.encoded(version.name()));
    }

    /** A flow as its newest version (a draft, or the last one published). */
    @Operation(operationId = "getFlow", summary = "One flow, as its newest version")
    @GetMapping("/api/v1/flows/{id}")
    FlowVersion get(@PathVariable String id) {
        return flows.latestVersion(flows.idOf(id));
    }

    @Operation(operationId = "listFlowVersions", summary = "A flow's versions, oldest first")
    @GetMapping("/api/v1/flows/{id}/versions")
    List<FlowVersion> versions(@PathVariable String id) {
        return flows.versions(flows.idOf(id));
    }

    @Operation(operationId = "replaceFlowDraft", summary = "Replace a flow's draft (after a published version, start the next one)")
    @PutMapping(path = "/api/v1/flows/{id}/draft", consumes = MediaType.APPLICATION_JSON_VALUE)
    FlowVersion updateDraft(@PathVariable String id, @Schema(types = "object", description = FLOW_DOCUMENT) @RequestBody String document) {
        return flows.withWarnings(flows.updateDraft(flows.idOf(id), document));
    }

    @ApiResponse(responseCode = "200", description = "the flow as it is now, its version published last its newest again")
    @ApiResponse(responseCode = "409", description = "the flow has no draft (no_draft), or nothing but its draft"
            + " (draft_only)")
    @Operation(operationId = "discardFlowDraft", summary = "Discard the draft: the version published last is the flow's newest again")
    @DeleteMapping("/api/v1/flows/{id}/draft")
    FlowVersion discardDraft(@PathVariable String id) {
        return flows.discardDraft(flows.idOf(id));
    }

    @ApiResponse(responseCode = "204", description = "deleted: the flow had drafts only")
    @ApiResponse(responseCode = "409", description = "the flow has a published version (flow_published): stop it"
            + " instead")
    @Operation(operationId = "deleteFlow", summary = "Delete a flow that was never published (one that was is stopped instead)")
    @DeleteMapping("/api/v1/flows/{id}")
    ResponseEntity<Void> delete(@PathVariable String id) {
        flows.delete(flows.idOf(id));
        return ResponseEntity.noContent().build();
    }

    @ApiResponse(responseCode = "200", description = "the version published, with the validation's warnings")
    @ApiResponse(responseCode = "409", description = "the flow has no draft to publish")
    @Operation(operationId = "publishFlow", summary = "Publish the draft: a frozen version, on which journeys start")
    @PostMapping("/api/v1/flows/{id}/publish")
    FlowVersion publish(@PathVariable String id) {
        return flows.withWarnings(flows.publish(flows.idOf(id)));
    }

    /** The exact document of a version, as it was imported. */
    @ApiResponse(responseCode = "200", description = "the version's document as it was imported, byte for byte (its JSON"
            + " Schema: /schemas/flow.schema.json)", content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
            schema = @Schema(type = "object")))
    @Operation(operationId = "exportFlowVersion", summary = "Export a version: the exact document that was imported")
    @GetMapping(path = "/api/v1/flows/{id}/versions/{version}/document", produces = MediaType.APPLICATION_JSON_VALUE)
    String export(@PathVariable String id, @PathVariable int version) {
        return flows.version(flows.idOf(id), version).document();
    }
}

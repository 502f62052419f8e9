package io.reach.template;

import io.reach.shared.ApiException;
import io.reach.shared.Ids;
import io.reach.shared.Pages;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.util.List;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** REST API of templates. */
@Tag(name = "Templates", description = "WhatsApp templates, in Meta's component format")
@RestController
@RequestMapping("/api/v1/templates")
class TemplateController {

    private final Templates templates;

    TemplateController(Templates templates) {
        this.templates = templates;
    }

    @ApiResponse(responseCode = "201", description = "the template created")
    @ApiResponse(responseCode = "409", description = "a template of that name and language is registered for that"
            + " account already")
    @Operation(operationId = "registerTemplate", summary = "Register a template")
    @PostMapping(consumes = "application/json")
    ResponseEntity<Template> register(@RequestBody TemplateRequest request) {
        Template template = templates.register(request);
        return ResponseEntity.created(URI.create("/api/v1/templates/" + template.id())).body(template);
    }

    /**
     * A page of the templates, by name, language and account. A full page links the next one ({@code Link:
     * <…&after=…>; rel="next"}, the last template's id).
     */
    @ApiResponse(responseCode = "200", description = "a page of templates, by name, language and account",
            headers = @Header(name = "Link", description = Pages.NEXT_LINK))
    @Operation(operationId = "listTemplates", summary = "The templates, or those of one name or one WhatsApp Business Account, by name, language and account")
    @GetMapping
    ResponseEntity<List<Template>> list(@Parameter(description = "only the templates of this name, in every language and"
                                                + " account")
                                        @RequestParam(required = false) String name,
                                        @Parameter(description = "only this WhatsApp Business Account's own templates;"
                                                + " empty: those registered without an account")
                                        @RequestParam(required = false) String wabaId,
                                        @RequestParam(required = false) String after,
                                        @RequestParam(defaultValue = "100") int limit) {
        Pages.checkLimit(limit, 0);
        List<Template> page = templates.page(name, wabaId, after == null ? null : Ids.parse("after", after), limit);
        return Pages.withNextLink(page, limit, "/api/v1/templates?limit=" + limit
                + (name == null ? "" : "&name=" + Pages.encoded(name))
                + (wabaId == null ? "" : "&wabaId=" + Pages.encoded(wabaId)), Template::id);
    }

    @Operation(operationId = "getTemplate", summary = "One template")
    @GetMapping("/{id}")
    Template get(@PathVariable String id) {
        return templates.get(Ids.parse("id", id));
    }

    @ApiResponse(responseCode = "204", description = "deleted")
    @ApiResponse(responseCode = "409", description = "a published flow sends it (template_in_use, naming the flows'"
            + " versions)")
    @Operation(operationId = "deleteTemplate", summary = "Delete a template that no published flow sends (409 template_in_use names those that do)")
    @DeleteMapping("/{id}")
    ResponseEntity<Void> delete(@PathVariable String id) {
        templates.delete(Ids.parse("id", id));
        return ResponseEntity.noContent().build();
    }

    /** A template's change: its status, the one field a PATCH takes (its category and text follow Meta's, by sync). */
    @Schema(name = "TemplateStatusChange")
    record StatusChange(String status) {}

    /**
     * Changes only the status: {"status": "PAUSED"}. Another field ({@code "category"}) is refused, naming the one
     * there is, where it was dropped without a word and the request answered as done.
     */
    @Operation(operationId = "changeTemplateStatus", summary = "Change a template's status (as Meta does: PAUSED, DISABLED …)")
    @PatchMapping(path = "/{id}", consumes = "application/json")
    Template changeStatus(@PathVariable String id, @RequestBody StatusChange body) {
        if (body.status() == null) {
            throw ApiException.invalidField("status", "is required");
        }
        return templates.changeStatus(Ids.parse("id", id), body.status());
    }
}

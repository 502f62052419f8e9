package io.reach.contact;

import io.reach.shared.Ids;
import io.reach.shared.Pages;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.springframework.http.MediaType;
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
import tools.jackson.databind.json.JsonMapper;

/** REST API of contacts: create, read, change, list, CSV import and erasure. */
@Tag(name = "Contacts", description = "Contacts: phone numbers in E.164, attributes, tags, consent per category, opt-out")
@RestController
@RequestMapping("/api/v1/contacts")
class ContactController {

    private final Contacts contacts;
    private final JsonMapper json;

    ContactController(Contacts contacts, JsonMapper json) {
        this.contacts = contacts;
        this.json = json;
    }

    @ApiResponse(responseCode = "201", description = "the contact created")
    @ApiResponse(responseCode = "409", description = "a contact has that number already")
    @Operation(operationId = "createContact", summary = "Create a contact")
    @PostMapping(consumes = "application/json")
    ResponseEntity<Contact> create(@RequestBody ContactRequest request) {
        Contact contact = contacts.create(request);
        return ResponseEntity.created(URI.create("/api/v1/contacts/" + contact.id())).body(contact);
    }

    @Operation(operationId = "getContact", summary = "One contact")
    @GetMapping("/{id}")
    Contact get(@PathVariable String id) {
        return contacts.get(contacts.idOf("id", id));
    }

    @ApiResponse(responseCode = "200", description = "the contact as changed")
    @ApiResponse(responseCode = "409", description = "another contact has that number")
    @Operation(operationId = "updateContact", summary = "Change a contact's attributes, tags, consent or opt-out")
    @PatchMapping(path = "/{id}", consumes = "application/json")
    Contact update(@PathVariable String id, @RequestBody ContactRequest request) {
        return contacts.update(contacts.idOf("id", id), request);
    }

    /**
     * Erases a contact and what Reach keeps of it (see {@link Contacts#erase}): for a person's request to be forgotten.
     * Its id stays, as what its journeys' and messages' counts and statuses point at; reading it is a 404 that says when
     * it was erased.
     */
    @ApiResponse(responseCode = "200", description = "the contact erased, and how many of each kind of thing kept"
            + " about it were erased or stopped with it")
    @ApiResponse(responseCode = "404", description = "no such contact, or erased already")
    @Operation(operationId = "eraseContact", summary = "Erase a contact: its number, attributes and tags, its journeys' variables, its messages' texts and numbers")
    @DeleteMapping("/{id}")
    ContactErasure erase(@PathVariable String id) {
        return contacts.erase(contacts.idOf("id", id));
    }

    /**
     * Everything Reach keeps about a contact, as one JSON document to download, written as it is read (see
     * {@link Contacts#export}): for a person's request to see what is kept of them, before an erasure, or to take it
     * elsewhere. An export cut short by a failure is not valid JSON.
     */
    @ApiResponse(responseCode = "200", description = "{exportedAt, contact, consentWithdrawnInWhatsApp,"
            + " journeys: [{journey, path, reportRows}], messages: [with their timelines], inboundMessages}",
            content = @Content(mediaType = "application/json",
                    schema = @Schema(ref = "#/components/schemas/" + ContactExportDocument.NAME)))
    @Operation(operationId = "exportContact", summary = "Everything Reach keeps about a contact: its journeys with their paths and report rows, its"
            + " messages with their timelines, the messages it wrote")
    @GetMapping(path = "/{id}/export", produces = "application/json")
    void export(@PathVariable String id, HttpServletResponse response) throws IOException {
        UUID contactId = contacts.idOf("id", id);
        JsonExport[] written = new JsonExport[1];
        contacts.export(contactId, (contact, at) -> {
            response.setContentType("application/json");
            response.setHeader("Content-Disposition", "attachment; filename=\"contact-" + contactId + ".json\"");
            try {
                written[0] = new JsonExport(json.createGenerator(response.getOutputStream()), contact, at);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return written[0];
        });
        written[0].finish();
    }

    /**
     * Lists contacts in the order they were created, or finds the one with a phone number ({@code ?phone=}), or those
     * with a tag ({@code ?tag=}); a full page links the next one ({@code after=} the last contact's id).
     */
    @ApiResponse(responseCode = "200", description = "a page of contacts",
            headers = @Header(name = "Link", description = Pages.NEXT_LINK))
    @Operation(operationId = "listContacts", summary = "Contacts in the order they were created, the one with a phone number, or those with a tag")
    @GetMapping
    ResponseEntity<List<Contact>> list(@Parameter(description = "the contact with this number, written any way (one"
                                               + " page of at most one contact)")
                                       @RequestParam(required = false) String phone,
                                       @Parameter(description = "only the contacts with this tag")
                                       @RequestParam(required = false) String tag,
                                       @RequestParam(required = false) String after,
                                       @RequestParam(defaultValue = "100") int limit,
                                       @RequestParam(defaultValue = "0") int offset) {
        Pages.checkLimit(limit, offset);
        if (phone != null) {
            String e164 = contacts.phoneNumbers().require("phone", phone);
            return ResponseEntity.ok(contacts.findByPhone(e164).map(List::of).orElse(List.of()));
        }
        Pages.afterOrOffset(after, offset);
        List<Contact> page = contacts.list(tag, after == null ? null : Ids.parse("after", after), limit, offset);
        return Pages.withNextLink(page, limit, "/api/v1/contacts?limit=" + limit + (tag == null ? "" : "&tag=" + Pages.encoded(tag)),
                Contact::id);
    }

    /**
     * Imports a CSV body ({@code Content-Type: text/csv}), UTF-8 unless the content type names another character set
     * ({@code text/csv; charset=windows-1252}, as spreadsheets save "CSV" in many locales); see {@link ContactCsvImport}
     * for the columns.
     */
    @Operation(operationId = "importContacts", summary = "Import contacts from a CSV: each line creates or updates the contact of its phone number")
    @io.swagger.v3.oas.annotations.parameters.RequestBody(description = "the CSV file (UTF-8 unless its Content-Type"
            + " names another character set)", required = true, content = @Content(mediaType = "text/csv",
            schema = @Schema(type = "string")))
    @PostMapping(path = "/import", consumes = {"text/csv", "text/plain", "application/octet-stream"})
    ContactImportReport importCsv(HttpServletRequest request) throws IOException {
        // From the header (the request's own encoding is forced to UTF-8 by Spring Boot's filter); one Java does not
        // know was answered 415 before this, as the endpoint's media types were matched.
        Charset declared = request.getContentType() == null ? null
                : MediaType.parseMediaType(request.getContentType()).getCharset();
        Charset charset = declared == null ? StandardCharsets.UTF_8 : declared;
        try (InputStreamReader reader = new InputStreamReader(request.getInputStream(), charset)) {
            return contacts.importCsv(reader, charset);
        }
    }
}

package io.reach.contact;

import java.time.Instant;
import tools.jackson.core.JsonGenerator;

/**
 * A contact's export written as one JSON document as it is read: {@code exportedAt}, {@code contact}, then each
 * section as an array. Finished only by {@link #finish}: an export cut short by a failure is not valid JSON, so that
 * no one takes it for the whole.
 */
final class JsonExport implements PersonalData.Export {

    private final JsonGenerator json;
    private boolean inSection;

    JsonExport(JsonGenerator json, Contact contact, Instant at) {
        this.json = json;
        json.writeStartObject();
        json.writeName("exportedAt");
        json.writePOJO(at);
        json.writeName("contact");
        json.writePOJO(contact);
    }

    @Override
    public void section(String name) {
        if (inSection) {
            json.writeEndArray();
        }
        json.writeName(name);
        json.writeStartArray();
        inSection = true;
    }

    @Override
    public void item(Object item) {
        json.writePOJO(item);
    }

    /** Ends the document, once every section is written. */
    void finish() {
        if (inSection) {
            json.writeEndArray();
        }
        json.writeEndObject();
        json.close();
    }
}

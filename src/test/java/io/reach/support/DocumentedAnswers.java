package io.reach.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.util.ArrayList;
import java.util.List;

/**
 * The answers Reach's OpenAPI document gives each operation, to hold real answers against: a status the operation
 * documents, and a body of that status's schema, with no field the schema does not name (what a client generated
 * from the document would fail to read, or not see). Each mismatch is noted rather than thrown, so that one run
 * lists them all.
 */
public final class DocumentedAnswers {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonNode paths;
    private final JsonNode components;
    private final JsonSchemaFactory schemas = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    private final List<String> mismatches = new ArrayList<>();
    private int checked;

    public DocumentedAnswers(String document) {
        try {
            JsonNode parsed = JSON.readTree(document);
            this.paths = parsed.path("paths");
            ObjectNode components = parsed.path("components").deepCopy();
            components.path("schemas").forEach(DocumentedAnswers::closed);
            this.components = components;
        } catch (Exception e) {
            throw new IllegalArgumentException("not an OpenAPI document: " + document, e);
        }
    }

    /**
     * Holds {@code answer}, which {@code method} on {@code path} (the document's path, with its {@code {id}}s) gave,
     * against the document; gives it back.
     */
    public Api.Response check(String method, String path, Api.Response answer) {
        checked++;
        String operation = method + " " + path;
        JsonNode responses = paths.path(path).path(method.toLowerCase()).path("responses");
        if (responses.isMissingNode()) {
            mismatches.add(operation + ": not in the document");
            return answer;
        }
        JsonNode documented = responses.path(String.valueOf(answer.status()));
        if (documented.isMissingNode()) {
            mismatches.add(operation + " answered " + answer.status() + ", which it does not document (it documents "
                    + names(responses) + "): " + answer.body());
            return answer;
        }
        JsonNode content = documented.path("content");
        if (content.isEmpty()) {
            if (!answer.body().isEmpty()) {
                mismatches.add(operation + " " + answer.status() + " answered a body where it documents none");
            }
            return answer;
        }
        JsonNode schema = content.path("application/json").path("schema");
        if (schema.isMissingNode()) {
            mismatches.add(operation + " " + answer.status() + " documents no JSON answer: " + names(content));
            return answer;
        }
        try {
            validate(operation + " " + answer.status(), schema, JSON.readTree(answer.body()));
        } catch (Exception e) {
            mismatches.add(operation + " " + answer.status() + " answered what is not JSON: " + answer.body());
        }
        return answer;
    }

    /**
     * Holds a request's JSON body (a String as it is, anything else as JSON) against the schema the document gives the
     * request body of {@code method} on {@code path}: what a client generated from the document would send.
     */
    public void checkRequest(String method, String path, Object body) {
        String operation = method + " " + path + " request";
        JsonNode schema = paths.path(path).path(method.toLowerCase()).path("requestBody").path("content")
                .path("application/json").path("schema");
        if (schema.isMissingNode()) {
            mismatches.add(operation + ": documents no JSON body");
            return;
        }
        try {
            validate(operation, schema, body instanceof String text ? JSON.readTree(text) : JSON.valueToTree(body));
        } catch (Exception e) {
            mismatches.add(operation + ": not JSON: " + body);
        }
    }

    /** Notes each way {@code json} is not of {@code schema} (closed, its references read in the document's components). */
    private void validate(String said, JsonNode schema, JsonNode json) {
        ObjectNode root = closed(schema.deepCopy());
        root.set("components", components);
        for (ValidationMessage problem : schemas.getSchema(root).validate(json)) {
            mismatches.add(said + ": " + problem.getMessage());
        }
    }

    /** What did not match, one line each. */
    public List<String> mismatches() {
        return List.copyOf(mismatches);
    }

    /** How many answers were checked. */
    public int checked() {
        return checked;
    }

    private static List<String> names(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** The schema with every object that names its properties closed to others (a map's schema stays open). */
    private static <T extends JsonNode> T closed(T schema) {
        if (schema instanceof ObjectNode object) {
            if (object.has("properties") && !object.has("additionalProperties")) {
                object.put("additionalProperties", false);
            }
            object.path("properties").forEach(DocumentedAnswers::closed);
            closed(object.path("items"));
            closed(object.path("additionalProperties"));
            for (String composed : List.of("allOf", "anyOf", "oneOf")) {
                object.path(composed).forEach(DocumentedAnswers::closed);
            }
        }
        return schema;
    }
}

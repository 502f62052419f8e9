package io.reach.flow;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.reach.template.ButtonParameter;
import io.reach.template.TemplateValues;
import java.util.List;
import java.util.Map;

/**
 * One step of a flow: its id, its type and the fields that type uses (docs/flows.md lists them per type). Steps
 * go on through {@code next}, or through {@code branches} (branch key → step id) for the types that branch.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FlowStep(
        String id,
        String type,
        String next,
        Map<String, String> branches,
        String sender,
        String template,
        String language,
        TemplateValues headerParameters,
        TemplateValues bodyParameters,
        List<ButtonParameter> buttonParameters,
        String text,
        String category,
        String voice,
        String message,
        String timeout,
        String duration,
        Window window,
        Request request,
        Map<String, String> extract,
        String tag,
        String attribute,
        String value,
        Condition condition,
        String status,
        String description) {

    /** A local-time window (HH:mm to HH:mm, in the contact's time zone) a wait step waits for. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Window(String from, String to) {}

    /** The HTTP request of a fetch_variables step: URL, headers and body may hold placeholders. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Request(String method, String url, Map<String, String> headers, String body, String timeout) {}

    /** The test of a condition step: {@code left operator right}, both sides may hold placeholders. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Condition(String left, String operator, String right) {}
}

package io.reach.flow;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A flow as its JSON document describes it: how journeys enter, the events that make a contact's journey leave
 * ({@code exitOn}: the order was picked up, the customer bought), the first step and the graph of steps.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FlowDocument(
        // The JSON Schema an editor checks the document against as it is written (docs/flow.schema.json): kept, not read.
        @JsonProperty("$schema") String schema,
        String name,
        String description,
        Entry entry,
        List<String> exitOn,
        String start,
        Map<String, String> variables,
        List<FlowStep> steps) {

    /**
     * The most steps a flow holds: far more than a journey a person designs, and few enough that checking a document
     * stays quick (it walks the steps once for each message that other steps follow) and that the published versions
     * Reach keeps in memory stay small.
     */
    public static final int MAX_STEPS = 1000;

    /** The most events a flow may exit on. */
    public static final int MAX_EXIT_EVENTS = 20;

    /** What an event's name is made of, in an entry and in {@code exitOn}. */
    public static final String EVENT_NAME = "[A-Za-z0-9_.-]{1,100}";

    /** How contacts enter: an audience filter, a named event posted by the business's backend, or an API call. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Entry(String type, String event, Audience audience) {}

    /**
     * Which contacts an audience entry takes: all tags given and none of those excluded, all attributes equal, consent
     * for a category, active (wrote to a sender) within a duration before the launch, inactive for a duration before it
     * (or never active).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Audience(List<String> tags, Map<String, String> attributes, String consent, String activeWithin,
                           String inactiveFor, List<String> excludeTags) {}

    /** Whether a {@code wait_for_reply} step waits for a reply to the message that the step {@code sendingStep} sends. */
    public boolean awaitsReplyTo(String sendingStep) {
        return steps != null && steps.stream().anyMatch(s -> StepTypes.WAIT_FOR_REPLY.equals(s.type())
                && sendingStep != null && sendingStep.equals(s.message()));
    }

    public Optional<FlowStep> step(String id) {
        return steps == null ? Optional.empty() : steps.stream().filter(s -> id != null && id.equals(s.id())).findFirst();
    }
}

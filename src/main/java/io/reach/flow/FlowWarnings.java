package io.reach.flow;

import static io.reach.flow.FlowValidator.blank;
import static io.reach.flow.FlowValidator.targets;
import static io.reach.flow.FlowValidator.textsWithPlaceholders;
import static io.reach.flow.FlowValidator.walkFrom;

import io.reach.shared.MessageCategory;
import io.reach.template.ButtonParameter;
import io.reach.template.Template;
import io.reach.template.TemplateButton;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * What will not stop a valid flow from being published but will keep some of its journeys from going as its author
 * meant: sends that will be blocked, placeholders that will have no value, branches no event can take, steps a
 * journey would wait at for ever. Said with the validation's problems ({@code warnings}), each with its step.
 */
final class FlowWarnings {

    /** The steps whose message is a WhatsApp one: a reply to it opens the contact's 24-hour window. */
    private static final Set<String> WHATSAPP_SENDS = Set.of(StepTypes.SEND_WHATSAPP, StepTypes.SEND_TEXT);

    private final FlowValidator.TemplateCheck templates;

    FlowWarnings(FlowValidator.TemplateCheck templates) {
        this.templates = templates;
    }

    /**
     * Every warning of the flow: its {@link #unapprovedTemplates}, its {@link #otherAccountsTemplates}, its
     * {@link #textsBeforeAReply}, its {@link #placeholdersWithoutAValue}, its {@link #payloadsNoReplyCarries}, its
     * {@link #statusesThatDecideNothing}, and its {@link #marketingToAnAudienceWithoutItsConsent}.
     */
    List<FlowProblem> of(FlowDocument flow) {
        Map<String, Template> sent = templatesSent(flow);
        List<FlowProblem> warnings = new ArrayList<>(unapprovedTemplates(flow, sent));
        warnings.addAll(otherAccountsTemplates(flow));
        warnings.addAll(textsBeforeAReply(flow));
        warnings.addAll(placeholdersWithoutAValue(flow));
        warnings.addAll(payloadsNoReplyCarries(flow, sent));
        warnings.addAll(statusesThatDecideNothing(flow));
        warnings.addAll(marketingToAnAudienceWithoutItsConsent(flow, sent));
        return warnings;
    }

    /** The registered template each {@code send_whatsapp} step sends, by step id, each read once; none for one not registered. */
    private Map<String, Template> templatesSent(FlowDocument flow) {
        Map<String, Template> sent = new HashMap<>();
        for (FlowStep step : stepsById(flow).values()) {
            if (StepTypes.SEND_WHATSAPP.equals(step.type()) && !blank(step.template()) && !blank(step.language())) {
                templates.template(step.sender(), step.template(), step.language())
                        .ifPresent(template -> sent.put(step.id(), template));
            }
        }
        return sent;
    }

    /**
     * A marketing message (a template of that category, an SMS or a call of it) in an audience flow whose audience
     * does not require marketing consent: a launch reaches every contact of the audience, and those who did not agree
     * to marketing have the message blocked (a broadcast to everyone is mostly blocked).
     */
    private static List<FlowProblem> marketingToAnAudienceWithoutItsConsent(FlowDocument flow, Map<String, Template> sent) {
        FlowDocument.Entry entry = flow.entry();
        if (entry == null || !"audience".equals(entry.type()) || entry.audience() != null
                && isMarketing(entry.audience().consent())) {
            return List.of();
        }
        List<FlowProblem> warnings = new ArrayList<>();
        for (FlowStep step : stepsById(flow).values()) {
            String category = sent.containsKey(step.id()) ? sent.get(step.id()).category().wireName()
                    : StepTypes.SEND_SMS.equals(step.type()) || StepTypes.VOICE_CALL.equals(step.type()) ? step.category() : null;
            if (isMarketing(category)) {
                warnings.add(new FlowProblem(step.id(), "a marketing message" + (step.template() == null ? "" : " (template "
                        + step.template() + ")") + " to an audience that does not require marketing consent: its contacts"
                        + " who did not agree to marketing have it blocked; add \"consent\": \"marketing\" to the audience"
                        + " to launch it to those who did"));
            }
        }
        return warnings;
    }

    private static boolean isMarketing(String category) {
        return MessageCategory.parse(category).filter(MessageCategory.MARKETING::equals).isPresent();
    }

    /**
     * A {@code branch_on_status} without a timeout that has no branch for a message that gets through (sent or
     * delivered; read alone leaves those not read) or none for one that does not (failed, blocked): no status of such a
     * message decides it, and its journey waits at the step for ever (the common "on failed, send an SMS" leaves every
     * delivered one there); nor an SMS's, which stays sent when no delivery receipt comes.
     */
    private static List<FlowProblem> statusesThatDecideNothing(FlowDocument flow) {
        List<FlowProblem> warnings = new ArrayList<>();
        Map<String, FlowStep> byId = stepsById(flow);
        for (FlowStep step : byId.values()) {
            if (!StepTypes.BRANCH_ON_STATUS.equals(step.type()) || step.timeout() != null || step.branches() == null) {
                continue;
            }
            Set<String> branches = step.branches().keySet();
            FlowStep sent = step.message() == null ? null : byId.get(step.message());
            if (branches.stream().noneMatch(Set.of("sent", "delivered")::contains)) {
                warnings.add(new FlowProblem(step.id(), "no sent or delivered branch and no timeout: a journey whose message"
                        + " gets through" + (branches.contains("read") ? " and is not read" : "") + " waits here for ever;"
                        + " add a sent or delivered branch, or a timeout"));
            } else if (!branches.contains("sent") && sent != null && StepTypes.SEND_SMS.equals(sent.type())) {
                // A sent branch would be taken at once (sent comes first): only a timeout waits for the receipt.
                warnings.add(new FlowProblem(step.id(), "no timeout: an SMS whose delivery receipt never comes (an SMSC or"
                        + " a carrier may send none) stays sent, and its journey waits here for ever; add a timeout"));
            }
            if (branches.stream().noneMatch(Set.of("failed", "blocked")::contains)) {
                warnings.add(new FlowProblem(step.id(), "no failed branch and no timeout: a journey whose message fails, or"
                        + " that Reach blocks, waits here for ever; add a failed branch, or a timeout"));
            }
        }
        return warnings;
    }

    /**
     * The branches of a {@code wait_for_reply} on a message that no reply to it can take: a payload that none of its
     * template's quick replies carries (the payload a send gives a button, else the button's text), or any payload
     * on a message without buttons (an SMS, a free-form text). Its journeys would wait for their timeout instead.
     */
    private static List<FlowProblem> payloadsNoReplyCarries(FlowDocument flow, Map<String, Template> templatesSent) {
        List<FlowProblem> warnings = new ArrayList<>();
        Map<String, FlowStep> byId = stepsById(flow);
        for (FlowStep wait : byId.values()) {
            if (!StepTypes.WAIT_FOR_REPLY.equals(wait.type()) || wait.branches() == null || !byId.containsKey(wait.message())) {
                continue;
            }
            List<String> payloads = wait.branches().keySet().stream().filter(key -> !Set.of(StepTypes.ANY_TEXT,
                    StepTypes.NO_REPLY, "timeout").contains(key)).toList();
            if (payloads.isEmpty()) {
                continue;
            }
            FlowStep sent = byId.get(wait.message());
            if (StepTypes.SEND_SMS.equals(sent.type()) || StepTypes.SEND_TEXT.equals(sent.type())) {
                String what = StepTypes.SEND_SMS.equals(sent.type()) ? "an SMS" : "a free-form text";
                payloads.forEach(payload -> warnings.add(new FlowProblem(wait.id(), "branch '" + payload + "': " + sent.id()
                        + " sends " + what + ", which has no quick replies: no reply to it carries a payload, so the branch"
                        + " is never taken (a typed answer takes any_text)")));
            } else if (templatesSent.containsKey(sent.id())) {
                quickReplyPayloads(sent, templatesSent.get(sent.id()).buttons())
                        .ifPresent(carried -> payloads.stream().filter(payload -> !carried.contains(payload)).forEach(payload ->
                                warnings.add(new FlowProblem(wait.id(), "branch '" + payload + "' is no payload of the quick"
                                        + " replies of " + sent.id() + " (" + (carried.isEmpty() ? "template " + sent.template()
                                        + " has none" : String.join(", ", carried)) + ")" + carried.stream()
                                        .filter(payload::equalsIgnoreCase).findFirst().map(near -> ": did you mean " + near + "?")
                                        .orElse("") + "; no reply takes it"))));
            }
        }
        return warnings;
    }

    /**
     * The payloads the quick replies of a send's template carry: the one the send gives each (buttonParameters), else
     * its text; empty when one is a placeholder's, known only per contact.
     */
    private static Optional<List<String>> quickReplyPayloads(FlowStep send, List<TemplateButton> buttons) {
        List<String> payloads = new ArrayList<>();
        for (int i = 0; i < buttons.size(); i++) {
            if (!buttons.get(i).isQuickReplyButton()) {
                continue;
            }
            int index = i;
            String given = send.buttonParameters() == null ? null : send.buttonParameters().stream()
                    .filter(parameter -> parameter != null && parameter.index() != null && parameter.index() == index)
                    .map(ButtonParameter::value).findFirst().orElse(null);
            if (given != null && given.contains("{{")) {
                return Optional.empty();
            }
            payloads.add(given != null ? given : buttons.get(i).text());
        }
        return Optional.of(payloads);
    }

    /**
     * Placeholders without a default that journeys reach with no value, unless their start's variables are named so:
     * a variable only fetches set, in a step a path reaches before any of them succeeded; a reply, in a step a path
     * reaches before a reply was taken; a property of an event in a flow that starts otherwise
     * ({@code {{event.order_id}}} in an API flow); a contact's attribute, an event's property or a reply written with
     * another word ({@code {{contacts.city}}}). A message with one is blocked there; another step reads it as empty. A
     * condition may ask whether a reply or a fetched value is there.
     */
    private static List<FlowProblem> placeholdersWithoutAValue(FlowDocument flow) {
        List<FlowProblem> warnings = new ArrayList<>();
        String entry = flow.entry() == null ? null : flow.entry().type();
        Set<String> setInTheFlow = new HashSet<>(flow.variables() == null ? Set.of() : flow.variables().keySet());
        for (FlowStep step : flow.steps() == null ? List.<FlowStep>of() : flow.steps()) {
            if (step != null && step.extract() != null) {
                setInTheFlow.addAll(step.extract().keySet());
            }
        }
        Map<String, FlowStep> byId = stepsById(flow);
        boolean started = flow.start() != null && byId.containsKey(flow.start());
        Set<String> beforeAReply = started ? reachedBeforeAReply(flow.start(), byId, false) : Set.of();
        // Per variable that only fetches set: the steps a path reaches before any of them succeeded.
        Map<String, Set<String>> beforeAFetch = new HashMap<>();
        Function<String, Set<String>> fetchedBefore = name -> beforeAFetch.computeIfAbsent(name, n ->
                !started || flow.variables() != null && flow.variables().containsKey(n) ? Set.of()
                        : walkFrom(flow.start(), byId, step -> fetches(step, n) && step.branches() != null
                                ? step.branches().entrySet().stream().filter(b -> !"success".equals(b.getKey()))
                                        .map(Map.Entry::getValue).toList()
                                : targetsUnlessThere(step, n::equals)));
        for (FlowStep step : flow.steps() == null ? List.<FlowStep>of() : flow.steps()) {
            if (step == null) {
                continue;
            }
            String empty = emptyValue(step);
            // A condition is where a flow asks whether a reply or a fetched value is there: read before, it is not.
            boolean asks = StepTypes.CONDITION.equals(step.type());
            textsWithPlaceholders(step).forEach((field, text) -> PlaceholderSyntax.names(text).forEach(name -> {
                if (setInTheFlow.contains(name)) {
                    if (!asks && fetchedBefore.apply(name).contains(step.id())) {
                        warnings.add(new FlowProblem(step.id(), field + ": {{" + name + "}} is set by "
                                + byId.values().stream().filter(f -> fetches(f, name)).map(FlowStep::id).collect(
                                        Collectors.joining(", ")) + " when it succeeds, and a path from"
                                + " the start reaches this step before any did: there it has no value unless the start's"
                                + " variables give it (" + empty + ")"));
                    }
                    return;
                }
                if (name.startsWith("reply.") && beforeAReply.contains(step.id())) {
                    if (!asks) {
                        warnings.add(new FlowProblem(step.id(), field + ": {{" + name + "}} is what the contact replied, and a"
                                + " path from the start reaches this step before a wait_for_reply took a reply (through its"
                                + " no_reply branch, or past none): there it has no value (" + empty + ")"));
                    }
                    return;
                }
                String word = name.contains(".") ? name.substring(0, name.indexOf('.')) : "";
                if (name.startsWith("event.") && !"event".equals(entry) && entry != null) {
                    warnings.add(new FlowProblem(step.id(), field + ": {{" + name + "}} is a property of the event that"
                            + " started the journey, and this flow starts " + ("api".equals(entry)
                            ? "through the API: it has no value unless the start's variables name " + name
                            : "on its audience, and a launch has no event: it has no value")
                            + " (" + empty + ")"));
                } else if (name.startsWith("contact.") && name.indexOf('.', "contact.".length()) > 0
                        && !name.startsWith("contact.has_tag.")) {
                    warnings.add(new FlowProblem(step.id(), field + ": {{" + name + "}} names no attribute of the contact"
                            + " (an attribute's name holds no dot), so it never has a value (" + empty + ")"
                            + (name.startsWith("contact.tag") ? ": did you mean {{contact.has_tag."
                                    + name.substring(name.indexOf('.', "contact.".length()) + 1) + "}}?" : "")));
                } else {
                    PlaceholderSyntax.meant(word).ifPresent(meant -> warnings.add(new FlowProblem(step.id(), field + ": {{"
                            + name + "}} reads a variable of that name, which nothing in the flow sets (a start's variables"
                            + " could): did you mean {{" + meant + name.substring(word.length()) + "}}?")));
                }
            }));
        }
        return warnings;
    }

    /**
     * The step's targets but the branch of a condition that only a journey with a value of a name {@code named} takes
     * ({@code {{reply.text}} exists}: its {@code true} branch), so that a walk for journeys without it stops there.
     */
    private static List<String> targetsUnlessThere(FlowStep step, Predicate<String> named) {
        String branch = ConditionCheck.branchWithAValue(step);
        if (branch == null || !named.test(ConditionCheck.soleName(step.condition().left()))) {
            return targets(step);
        }
        return step.branches().entrySet().stream().filter(b -> !branch.equals(b.getKey())).map(Map.Entry::getValue).toList();
    }

    /** What a placeholder without a value and without a default does at {@code step}. */
    private static String emptyValue(FlowStep step) {
        return StepTypes.SENDING.contains(step.type()) ? "a message without it, and without a default, is blocked"
                : "without a default, it is filled in as an empty text";
    }

    /**
     * A template a step's sender would send from another WhatsApp Business Account than its own (its own has none of
     * that name and language in Reach): Meta refuses it unless the sender's account has one too, and the text Reach
     * renders (and a fallback SMS repeats) is the other account's.
     */
    private List<FlowProblem> otherAccountsTemplates(FlowDocument flow) {
        List<FlowProblem> warnings = new ArrayList<>();
        for (FlowStep step : flow.steps() == null ? List.<FlowStep>of() : flow.steps()) {
            if (step != null && StepTypes.SEND_WHATSAPP.equals(step.type()) && !blank(step.sender())
                    && !blank(step.template()) && !blank(step.language())) {
                templates.otherAccountOf(step.sender(), step.template(), step.language()).ifPresent(account -> warnings.add(
                        new FlowProblem(step.id(), "template " + step.template() + " (" + step.language() + ") is WhatsApp"
                                + " Business Account " + account + "'s, not sender " + step.sender() + "'s account's: Meta"
                                + " refuses it unless that account has it too (POST /api/v1/templates/sync with this"
                                + " sender takes its account's templates)")));
            }
        }
        return warnings;
    }

    /**
     * A free-form text ({@code send_text}) that a path from the start reaches before the contact has written: Meta takes
     * one only within 24 hours of the contact's last message, so a journey that comes that way has it blocked, unless
     * the contact wrote just before the journey started (a journey an event starts when the contact writes to the
     * backend). The contact has written once the journey took a reply branch (a quick reply's payload or
     * {@code any_text}) of a {@code wait_for_reply} on a WhatsApp message, or on any message (one without
     * {@code message}); a reply to an SMS or a call opens no WhatsApp window. One walk from the start that does not take
     * those branches.
     */
    private static List<FlowProblem> textsBeforeAReply(FlowDocument flow) {
        Map<String, FlowStep> byId = stepsById(flow);
        if (flow.start() == null || !byId.containsKey(flow.start())) {
            return List.of();
        }
        Set<String> seen = reachedBeforeAReply(flow.start(), byId, true);
        return byId.values().stream().filter(step -> StepTypes.SEND_TEXT.equals(step.type()) && seen.contains(step.id()))
                .map(step -> new FlowProblem(step.id(), "a path from the start reaches this free-form text before the"
                        + " contact has written (a quick reply or a text, taken by a wait_for_reply): WhatsApp takes one only"
                        + " within 24 hours of the contact's last message, so there it is blocked unless the contact wrote"
                        + " just before the journey started; send a template (send_whatsapp) on that path"))
                .toList();
    }

    /** Whether {@code step} is a fetch_variables step that sets {@code variable} when it succeeds. */
    private static boolean fetches(FlowStep step, String variable) {
        return StepTypes.FETCH_VARIABLES.equals(step.type()) && step.extract() != null && step.extract().containsKey(variable);
    }

    /** The steps by id, the first of each id (a step id used twice is a problem of its own). */
    private static Map<String, FlowStep> stepsById(FlowDocument flow) {
        Map<String, FlowStep> byId = new LinkedHashMap<>();
        (flow.steps() == null ? List.<FlowStep>of() : flow.steps()).stream().filter(step -> step != null && step.id() != null)
                .forEach(step -> byId.putIfAbsent(step.id(), step));
        return byId;
    }

    /**
     * The steps a path from {@code start} reaches before a {@code wait_for_reply} took a reply (passing one through its
     * {@code no_reply} branch); {@code toWhatsApp}: only a reply to a WhatsApp message, or to any message, counts.
     */
    private static Set<String> reachedBeforeAReply(String start, Map<String, FlowStep> byId, boolean toWhatsApp) {
        return walkFrom(start, byId, step -> {
            boolean takesAReply = StepTypes.WAIT_FOR_REPLY.equals(step.type()) && (!toWhatsApp || step.message() == null
                    || byId.containsKey(step.message()) && WHATSAPP_SENDS.contains(byId.get(step.message()).type()));
            if (!takesAReply || step.branches() == null) {
                // A reply the condition finds may be older than WhatsApp's 24 hours.
                return toWhatsApp ? targets(step) : targetsUnlessThere(step, name -> name.startsWith("reply."));
            }
            List<String> targets = new ArrayList<>(step.next() == null ? List.of() : List.of(step.next()));
            if (step.branches().get(StepTypes.NO_REPLY) != null) {
                targets.add(step.branches().get(StepTypes.NO_REPLY));
            }
            return targets;
        });
    }

    /**
     * What will not stop a flow from being published but will keep some of its sends from going out: a template
     * still in Meta's review, or paused, rejected or disabled (its sends are blocked, so the journeys take their
     * {@code blocked} or {@code failed} branch: a fallback to SMS for every contact a launch starts).
     */
    List<FlowProblem> unapprovedTemplates(FlowDocument flow) {
        return unapprovedTemplates(flow, templatesSent(flow));
    }

    private static List<FlowProblem> unapprovedTemplates(FlowDocument flow, Map<String, Template> sent) {
        List<FlowProblem> warnings = new ArrayList<>();
        for (FlowStep step : stepsById(flow).values()) {
            Template template = sent.get(step.id());
            if (template != null && !Template.APPROVED.equals(template.status())) {
                warnings.add(new FlowProblem(step.id(), "template " + step.template() + " (" + step.language() + ") is "
                        + template.status() + ": its sends are blocked (the journeys take their blocked or failed"
                        + " branch) until Meta approves it"));
            }
        }
        return warnings;
    }
}

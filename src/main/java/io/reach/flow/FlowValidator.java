package io.reach.flow;

import io.reach.contact.Contacts;
import io.reach.shared.MessageCategory;
import io.reach.template.Template;
import io.reach.template.TemplateParameters;
import io.reach.template.TemplateValues;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Checks a flow document before it is stored: every problem names its step. Checks the graph (unknown types,
 * dangling targets, unreachable steps, cycles with no wait in them), each step's fields, timeouts (at most 7 days)
 * and that the templates and senders it names exist, a template taking the number of values its send gives.
 */
final class FlowValidator {

    static final Duration MAX_TIMEOUT = Duration.ofDays(7);
    // A reply branch is a button's payload (or a text), kept as the journey's decision: as long as a payload may be.
    private static final int MAX_REPLY_BRANCH_LENGTH = 1000;
    private static final Pattern STEP_ID = Pattern.compile("[A-Za-z0-9_-]{1,100}");

    /**
     * What a template (name, language) says of a send's parameters: the problems of their shape ({@code field:
     * message}), none when they fit, or empty when no such template is registered.
     */
    interface TemplateCheck {
        /** The problems of a send's parameters against the template its sender (a name or id) sends; empty when none is. */
        Optional<List<String>> problems(String sender, String name, String language, TemplateParameters parameters);

        /** The languages a template of this name is registered in; none when it is in none. */
        default List<String> languagesOf(String name) {
            return List.of();
        }

        /**
         * The template its sender (a name or id) sends, as registered (its status, category and buttons); empty when
         * none is.
         */
        default Optional<Template> template(String sender, String name, String language) {
            return Optional.empty();
        }

        /**
         * The WhatsApp Business Account whose template the sender would send when its own account has none of that
         * name and language (nor one registered without an account); empty when it sends its account's.
         */
        default Optional<String> otherAccountOf(String sender, String name, String language) {
            return Optional.empty();
        }
    }

    private final TemplateCheck templates;
    private final Function<String, Optional<String>> senderChannel;
    private final FetchHosts fetchHosts;
    private final FlowWarnings warnings;

    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Set<String> SET_BY_THE_CLIENT = Set.of("host", "content-length", "connection", "expect", "upgrade");

    /**
     * @param templates    what a template (name, language) says of a send's parameters, or that it is not registered
     * @param senderChannel the channel (whatsapp, sms, voice) of a sender (name or id), empty when none is registered
     * @param fetchHosts    the hosts a fetch may call
     */
    FlowValidator(TemplateCheck templates, Function<String, Optional<String>> senderChannel, FetchHosts fetchHosts) {
        this.templates = templates;
        this.senderChannel = senderChannel;
        this.fetchHosts = fetchHosts;
        this.warnings = new FlowWarnings(templates);
    }

    /**
     * What will not stop a valid flow from being published but will keep some of its sends from going out (see
     * {@link FlowWarnings}).
     */
    List<FlowProblem> warnings(FlowDocument flow) {
        return warnings.of(flow);
    }

    /** The warnings of a flow's templates that Meta has not approved (see {@link FlowWarnings#unapprovedTemplates}). */
    List<FlowProblem> unapprovedTemplates(FlowDocument flow) {
        return warnings.unapprovedTemplates(flow);
    }

    List<FlowProblem> check(FlowDocument flow) {
        List<FlowProblem> problems = new ArrayList<>();
        if (flow.name() == null || flow.name().isBlank() || flow.name().length() > 200) {
            problems.add(new FlowProblem(null, "name: a flow needs a name of 1 to 200 characters"));
        }
        checkEntry(flow.entry(), problems);
        checkExits(flow, problems);
        if (flow.variables() != null) {
            flow.variables().keySet().stream().filter(name -> !StepTypes.isUsersVariable(name)).forEach(name ->
                    problems.add(new FlowProblem(null, "variables." + name + ": " + StepTypes.USERS_VARIABLES)));
            refuseNullValues(flow.variables(), null, "variables", problems);
        }
        List<FlowStep> steps = flow.steps() == null ? List.of() : flow.steps();
        if (steps.isEmpty()) {
            problems.add(new FlowProblem(null, "steps: a flow needs at least one step"));
            return problems;
        }
        if (steps.size() > FlowDocument.MAX_STEPS) {
            // Checked no further: the check's time grows with the square of the steps (16,000 took 30 s of a core),
            // and a request of 50 MB holds 250,000.
            problems.add(new FlowProblem(null, "steps: a flow holds at most " + FlowDocument.MAX_STEPS + " steps (this one has "
                    + steps.size() + "): split it into flows that start one another with events"));
            return problems;
        }
        Map<String, FlowStep> byId = new LinkedHashMap<>();
        // The ids refused for their form: a start or a branch naming one is told so, not that no such step exists.
        Set<String> refusedIds = new HashSet<>();
        for (int i = 0; i < steps.size(); i++) {
            FlowStep step = steps.get(i);
            if (step == null || step.id() == null || !STEP_ID.matcher(step.id()).matches()) {
                problems.add(new FlowProblem(step == null ? null : step.id(), "steps[" + i + "]: a step id is 1 to 100 letters, digits, _ or -"));
                if (step != null && step.id() != null) {
                    refusedIds.add(step.id());
                }
                continue;
            }
            if (byId.putIfAbsent(step.id(), step) != null) {
                problems.add(new FlowProblem(step.id(), "step id " + step.id() + " is used twice"));
            }
        }
        if (flow.start() == null) {
            problems.add(new FlowProblem(null, "start: a flow needs a start, the id of its first step"));
        } else if (!byId.containsKey(flow.start())) {
            problems.add(new FlowProblem(flow.start(), "start: '" + flow.start() + "' " + notAStep(flow.start(), refusedIds)));
        }
        for (FlowStep step : byId.values()) {
            if (step.type() == null || !StepTypes.ALL.contains(step.type())) {
                problems.add(new FlowProblem(step.id(), "unknown step type '" + step.type() + "' (known: "
                        + String.join(", ", new TreeSet<>(StepTypes.ALL)) + ")"));
                continue;
            }
            checkTargets(step, byId, refusedIds, problems);
            checkFields(step, byId, problems);
            checkPlaceholders(step, problems);
        }
        if (flow.start() != null && byId.containsKey(flow.start())) {
            checkReachable(flow.start(), byId, problems);
            checkCycles(byId, problems);
            checkMessagesSentOnTheWay(flow.start(), byId, problems);
        }
        return problems;
    }

    /** The events a contact's journey leaves the flow on: named as events are, each once, not the one it enters on. */
    private static void checkExits(FlowDocument flow, List<FlowProblem> problems) {
        if (flow.exitOn() == null) {
            return;
        }
        if (flow.exitOn().isEmpty() || flow.exitOn().size() > FlowDocument.MAX_EXIT_EVENTS) {
            problems.add(new FlowProblem(null, "exitOn: lists 1 to " + FlowDocument.MAX_EXIT_EVENTS
                    + " events (leave it out for none)"));
            return;
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < flow.exitOn().size(); i++) {
            String event = flow.exitOn().get(i);
            if (event == null || !event.matches(FlowDocument.EVENT_NAME)) {
                problems.add(new FlowProblem(null, "exitOn[" + i + "]: an event's name (1 to 100 letters, digits, _ . -)"));
            } else if (!seen.add(event)) {
                problems.add(new FlowProblem(null, "exitOn[" + i + "]: '" + event + "' is listed twice"));
            } else if (flow.entry() != null && "event".equals(flow.entry().type()) && event.equals(flow.entry().event())) {
                problems.add(new FlowProblem(null, "exitOn[" + i + "]: '" + event + "' is the event the flow starts on"));
            }
        }
    }

    private static void checkEntry(FlowDocument.Entry entry, List<FlowProblem> problems) {
        if (entry == null || entry.type() == null) {
            problems.add(new FlowProblem(null, "entry: a flow needs an entry of type audience, event or api"));
            return;
        }
        switch (entry.type()) {
            case "api" -> { }
            case "event" -> {
                if (entry.event() == null || !entry.event().matches(FlowDocument.EVENT_NAME)) {
                    problems.add(new FlowProblem(null, "entry.event: an event entry names its event (letters, digits, _ . -)"));
                }
            }
            case "audience" -> {
                if (entry.audience() != null && entry.audience().consent() != null
                        && MessageCategory.parse(entry.audience().consent()).isEmpty()) {
                    problems.add(new FlowProblem(null, "entry.audience.consent: must be one of " + MessageCategory.allowedValues()));
                }
                if (entry.audience() != null) {
                    checkAudienceTags(entry.audience().tags(), "entry.audience.tags", problems);
                    checkAudienceTags(entry.audience().excludeTags(), "entry.audience.excludeTags", problems);
                    // Compared as contacts' tags are kept: trimmed.
                    List<String> tags = entry.audience().tags() == null ? List.of() : entry.audience().tags().stream()
                            .filter(Objects::nonNull).map(String::trim).toList();
                    if (entry.audience().excludeTags() != null) {
                        entry.audience().excludeTags().stream().filter(Objects::nonNull).map(String::trim)
                                .filter(tags::contains).distinct().forEach(tag ->
                                problems.add(new FlowProblem(null, "entry.audience.excludeTags: '" + tag + "' is among the"
                                        + " tags too, so the audience would take nobody")));
                    }
                    refuseNullValues(entry.audience().attributes(), null, "entry.audience.attributes", problems);
                    checkActivity(entry.audience().activeWithin(), "entry.audience.activeWithin", problems);
                    checkActivity(entry.audience().inactiveFor(), "entry.audience.inactiveFor", problems);
                }
            }
            default -> problems.add(new FlowProblem(null, "entry.type: must be audience, event or api"));
        }
    }

    /** Names each null element of a list (a parameter, a tag): a value is expected there, and null means none. */
    private static void refuseNulls(List<?> values, String step, String field, List<FlowProblem> problems) {
        for (int i = 0; values != null && i < values.size(); i++) {
            if (values.get(i) == null) {
                problems.add(new FlowProblem(step, field + "[" + i + "]: is null; give a value"));
            }
        }
    }

    /** Names each null value of a template's values, by index or by name. */
    private static void refuseNulls(TemplateValues values, String step, String field,
                                    List<FlowProblem> problems) {
        if (values != null) {
            List<String> fields = values.fields(field);
            for (int i = 0; i < fields.size(); i++) {
                if (values.values().get(i) == null) {
                    problems.add(new FlowProblem(step, fields.get(i) + ": is null; give a value"));
                }
            }
        }
    }

    /** Names each null value of a map (a header, an attribute): a value is expected there. */
    private static void refuseNullValues(Map<String, String> values, String step, String field, List<FlowProblem> problems) {
        if (values != null) {
            values.forEach((name, value) -> {
                if (value == null) {
                    problems.add(new FlowProblem(step, field + "." + name + ": is null; give a value"));
                }
            });
        }
    }

    /** An audience's tags: none null, none that no contact could have. */
    private static void checkAudienceTags(List<String> tags, String field, List<FlowProblem> problems) {
        refuseNulls(tags, null, field, problems);
        for (int i = 0; tags != null && i < tags.size(); i++) {
            String problem = tags.get(i) == null ? null : Contacts.tagProblem(tags.get(i));
            if (problem != null) {
                problems.add(new FlowProblem(null, field + "[" + i + "]: " + problem + " (no contact has it)"));
            }
        }
    }

    /** An audience's activity bound: a positive duration, in days or less (PT12H, P30D, P365D). */
    private static void checkActivity(String text, String field, List<FlowProblem> problems) {
        if (text == null) {
            return;
        }
        Duration duration = duration(text, null, field, problems);
        if (duration != null && (duration.isNegative() || duration.isZero())) {
            problems.add(new FlowProblem(null, field + ": must be more than 0"));
        }
    }

    /** Where a step can go next: its {@code next} and every branch target. */
    static List<String> targets(FlowStep step) {
        List<String> targets = new ArrayList<>();
        if (step.next() != null) {
            targets.add(step.next());
        }
        if (step.branches() != null) {
            targets.addAll(step.branches().values());
        }
        return targets;
    }

    private static void checkTargets(FlowStep step, Map<String, FlowStep> byId, Set<String> refusedIds,
                                     List<FlowProblem> problems) {
        boolean branching = StepTypes.BRANCHING.contains(step.type());
        if (step.type().equals(StepTypes.END)) {
            if (step.next() != null || step.branches() != null) {
                problems.add(new FlowProblem(step.id(), "an end step goes nowhere: remove next and branches"));
            }
            return;
        }
        if (branching) {
            if (step.branches() == null || step.branches().isEmpty()) {
                problems.add(new FlowProblem(step.id(), "a " + step.type() + " step needs branches"));
            }
        } else if (step.next() == null) {
            problems.add(new FlowProblem(step.id(), "a " + step.type() + " step needs next (the step that follows)"));
        } else if (step.branches() != null) {
            problems.add(new FlowProblem(step.id(), "a " + step.type() + " step does not branch: use next, not branches"));
        }
        if (branching && step.next() != null) {
            problems.add(new FlowProblem(step.id(), "a " + step.type() + " step branches: use branches, not next"));
        }
        for (String target : targets(step)) {
            if (target == null || !byId.containsKey(target)) {
                problems.add(new FlowProblem(step.id(), "dangling target: '" + target + "' " + notAStep(target, refusedIds)));
            }
        }
    }

    /** Why an id names no step: none has it, or the step that has it was refused for its id's form. */
    private static String notAStep(String id, Set<String> refusedIds) {
        return refusedIds.contains(id) ? "names a step whose id is refused (see that step's problem): rename it here too"
                : "is not a step of this flow";
    }

    private void checkFields(FlowStep step, Map<String, FlowStep> byId, List<FlowProblem> problems) {
        String id = step.id();
        List<String> fields = StepTypes.FIELDS.get(step.type());
        fieldsGiven(step).stream().filter(field -> !fields.contains(field)).forEach(field -> problems.add(new FlowProblem(id,
                field + ": not a field of " + (step.type().matches("[aeiou].*") ? "an " : "a ") + step.type()
                        + " step, which would leave it unused (its fields: "
                        + (fields.isEmpty() ? "none" : String.join(", ", fields)) + ")")));
        switch (step.type()) {
            case StepTypes.SEND_WHATSAPP -> {
                requireSender(step, problems);
                int before = problems.size();
                refuseNulls(step.headerParameters(), id, "headerParameters", problems);
                refuseNulls(step.bodyParameters(), id, "bodyParameters", problems);
                refuseNulls(step.buttonParameters(), id, "buttonParameters", problems);
                boolean named = !blank(step.template()) && !blank(step.language());
                Optional<List<String>> fit = !named ? Optional.empty() : templates.problems(step.sender(), step.template(),
                        step.language(), new TemplateParameters(step.headerParameters(),
                                step.bodyParameters(), step.buttonParameters()));
                if (!named) {
                    problems.add(new FlowProblem(id, "a send_whatsapp step names its template and language"));
                } else if (fit.isEmpty()) {
                    List<String> languages = templates.languagesOf(step.template());
                    problems.add(new FlowProblem(id, "missing template: " + step.template() + " (" + step.language()
                            + ") is not registered" + (languages.isEmpty() ? "" : "; it is in " + String.join(", ", languages))));
                } else if (problems.size() == before) {
                    // Checked once each value is there: a null is named above, and would be named again here.
                    fit.get().forEach(problem -> problems.add(new FlowProblem(id, problem + " (template "
                            + step.template() + ", " + step.language() + ")")));
                }
            }
            case StepTypes.SEND_TEXT -> {
                requireSender(step, problems);
                require(step.text(), id, "text", problems);
            }
            case StepTypes.SEND_SMS, StepTypes.VOICE_CALL -> {
                requireSender(step, problems);
                require(step.text(), id, "text", problems);
                if (MessageCategory.parse(step.category()).isEmpty()) {
                    problems.add(new FlowProblem(id, "category: must be one of " + MessageCategory.allowedValues()
                            + " (consent is checked per category)"));
                }
            }
            case StepTypes.BRANCH_ON_STATUS -> {
                checkMessageReference(step, byId, problems, true);
                checkTimeout(step, problems, step.branches() != null && step.branches().containsKey("timeout"));
                if (step.branches() != null) {
                    step.branches().keySet().stream().filter(k -> !StepTypes.STATUS_BRANCHES.contains(k)).forEach(k ->
                            problems.add(new FlowProblem(id, "branch '" + k + "' is not a status (sent, delivered, read, failed, blocked, timeout)")));
                    // Not refused for an SMS: Twilio reports one read when it delivered it as RCS.
                    FlowStep sent = step.message() == null ? null : byId.get(step.message());
                    if (sent != null && StepTypes.VOICE_CALL.equals(sent.type()) && step.branches().containsKey("read")) {
                        problems.add(new FlowProblem(id, "branch 'read': '" + step.message() + "' places a call, which is"
                                + " answered (delivered) or not, never read: the branch would never be taken"));
                    }
                }
            }
            case StepTypes.WAIT_FOR_REPLY -> {
                if (step.message() != null) {
                    checkMessageReference(step, byId, problems, false);
                    FlowStep sent = byId.get(step.message());
                    if (sent != null && StepTypes.VOICE_CALL.equals(sent.type())) {
                        problems.add(new FlowProblem(id, "message: '" + step.message() + "' places a call, which no one can"
                                + " reply to: name a WhatsApp or SMS step, or leave message out to take any reply"));
                    }
                }
                checkTimeout(step, problems, step.branches() != null && step.branches().containsKey(StepTypes.NO_REPLY));
                if (step.branches() != null) {
                    step.branches().keySet().stream().filter(k -> k.length() > MAX_REPLY_BRANCH_LENGTH).forEach(k -> problems.add(
                            new FlowProblem(id, "branch '" + k.substring(0, 40) + "…' is longer than a reply's payload can be ("
                                    + MAX_REPLY_BRANCH_LENGTH + " characters)")));
                }
            }
            case StepTypes.WAIT -> {
                if ((step.duration() == null) == (step.window() == null)) {
                    problems.add(new FlowProblem(id, "a wait step has either a duration or a window"));
                } else if (step.duration() != null) {
                    Duration duration = duration(step.duration(), id, "duration", problems);
                    if (duration != null && (duration.isNegative() || duration.isZero() || duration.compareTo(Duration.ofDays(30)) > 0)) {
                        problems.add(new FlowProblem(id, "duration: must be more than 0 and at most 30 days"));
                    }
                } else {
                    LocalTime from = time(step.window().from(), id, "window.from", problems);
                    LocalTime to = time(step.window().to(), id, "window.to", problems);
                    if (from != null && from.equals(to)) {
                        // Empty or the whole day: either way not what the author meant by a window.
                        problems.add(new FlowProblem(id, "window: from and to are the same time (" + from
                                + "); a window such as 09:00–18:00 has two different ends"));
                    }
                }
            }
            case StepTypes.FETCH_VARIABLES -> {
                FlowStep.Request request = step.request();
                if (request == null || blank(request.url()) || !(request.url().startsWith("http://") || request.url().startsWith("https://")
                        || request.url().startsWith("{{"))) {
                    problems.add(new FlowProblem(id, "request.url: a fetch_variables step needs an http(s) URL"));
                } else {
                    // A host written with a placeholder is known when the journey gets there, and checked then.
                    FetchHosts.literalHost(request.url()).flatMap(fetchHosts::refusal)
                            .ifPresent(refused -> problems.add(new FlowProblem(id, "request.url: " + refused)));
                }
                if (request != null) {
                    refuseNullValues(request.headers(), id, "request.headers", problems);
                    if (request.headers() != null) {
                        request.headers().keySet().stream().filter(name -> !HEADER_NAME.matcher(name).matches()
                                        || SET_BY_THE_CLIENT.contains(name.toLowerCase(Locale.ROOT)))
                                .forEach(name -> problems.add(new FlowProblem(id, "request.headers." + name
                                        + ": not a header a fetch can set (Reach sets Host, Content-Length, Connection, Expect and Upgrade itself)")));
                    }
                }
                if (request != null && request.method() != null && !Set.of("GET", "POST").contains(request.method())) {
                    problems.add(new FlowProblem(id, "request.method: GET or POST"));
                }
                if (request != null && request.body() != null) {
                    if (!"POST".equals(request.method())) {
                        problems.add(new FlowProblem(id, "request.body: only a POST sends a body"));
                    } else {
                        String notJson = JsonTemplate.problem(request.body());
                        if (notJson != null) {
                            problems.add(new FlowProblem(id, "request.body: not JSON once its placeholders are filled (" + notJson + ")"));
                        }
                    }
                }
                if (request != null && request.timeout() != null) {
                    Duration timeout = duration(request.timeout(), id, "request.timeout", problems);
                    if (timeout != null && timeout.compareTo(Duration.ofMinutes(1)) > 0) {
                        problems.add(new FlowProblem(id, "request.timeout: at most one minute"));
                    }
                }
                if (step.extract() != null) {
                    step.extract().forEach((variable, pointer) -> {
                        if (!StepTypes.isUsersVariable(variable)) {
                            problems.add(new FlowProblem(id, "extract." + variable + ": " + StepTypes.USERS_VARIABLES));
                        }
                        if (pointer == null || !(pointer.isEmpty() || pointer.startsWith("/"))) {
                            problems.add(new FlowProblem(id, "extract." + variable + ": a JSON pointer such as /data/name"));
                        }
                    });
                }
                checkBranchKeys(step, Set.of("success", "failure"), problems);
            }
            case StepTypes.CONDITION -> {
                ConditionCheck.check(step.condition(), id, problems);
                checkBranchKeys(step, Set.of("true", "false"), problems);
            }
            case StepTypes.ADD_TAG, StepTypes.REMOVE_TAG -> {
                require(step.tag(), id, "tag", problems);
                // A tag without placeholders is known now: one the contacts would refuse would fail every journey there.
                String problem = blank(step.tag()) || step.tag().contains("{{") ? null : Contacts.tagProblem(step.tag());
                if (problem != null) {
                    problems.add(new FlowProblem(id, "tag: " + problem));
                }
            }
            case StepTypes.SET_ATTRIBUTE -> {
                if (blank(step.attribute()) || !step.attribute().matches("[A-Za-z_][A-Za-z0-9_]{0,99}")) {
                    problems.add(new FlowProblem(id, "attribute: an attribute name (letters, digits, _)"));
                }
                if (step.value() == null) {
                    problems.add(new FlowProblem(id, "value: is required (it may hold placeholders)"));
                }
            }
            case StepTypes.ADD_REPORT_ROW -> {
                require(step.status(), id, "status", problems);
                if (step.message() != null) {
                    checkMessageReference(step, byId, problems, false);
                }
            }
            default -> { }
        }
    }

    /** The fields the step gives, besides its id, type, description and how it goes on. */
    private static List<String> fieldsGiven(FlowStep step) {
        List<String> given = new ArrayList<>();
        for (RecordComponent field : STEP_FIELDS) {
            if (!EVERY_STEPS_FIELDS.contains(field.getName()) && valueOf(field, step) != null) {
                given.add(field.getName());
            }
        }
        return given;
    }

    /** Every field a step has: one added to {@link FlowStep} is another type's until {@link StepTypes#FIELDS} gives it. */
    private static final RecordComponent[] STEP_FIELDS = FlowStep.class.getRecordComponents();

    /** The fields any step may give, whatever its type (see {@link StepTypes#FIELDS}). */
    private static final Set<String> EVERY_STEPS_FIELDS = Set.of("id", "type", "next", "branches", "description");

    private static Object valueOf(RecordComponent field, FlowStep step) {
        try {
            return field.getAccessor().invoke(step);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("FlowStep." + field.getName() + " could not be read", e);
        }
    }

    /** The placeholders of every text of the step that may hold them, as {@link PlaceholderSyntax} reads them. */
    private static void checkPlaceholders(FlowStep step, List<FlowProblem> problems) {
        textsWithPlaceholders(step).forEach((field, text) -> PlaceholderSyntax.problems(text).forEach(problem ->
                problems.add(new FlowProblem(step.id(), field + ": " + problem))));
    }

    /** Every text of the step that may hold placeholders, by its field ({@code bodyParameters[1]}); some null. */
    static Map<String, String> textsWithPlaceholders(FlowStep step) {
        Map<String, String> texts = new LinkedHashMap<>();
        texts.put("text", step.text());
        putEach(texts, "headerParameters", step.headerParameters());
        putEach(texts, "bodyParameters", step.bodyParameters());
        for (int i = 0; step.buttonParameters() != null && i < step.buttonParameters().size(); i++) {
            var button = step.buttonParameters().get(i);
            texts.put("buttonParameters[" + i + "].value", button == null ? null : button.value());
        }
        if (step.request() != null) {
            texts.put("request.url", step.request().url());
            if (step.request().headers() != null) {
                step.request().headers().forEach((name, value) -> texts.put("request.headers." + name, value));
            }
            texts.put("request.body", step.request().body());
        }
        texts.put("tag", step.tag());
        texts.put("value", step.value());
        texts.put("status", step.status());
        texts.put("description", step.description());
        if (step.condition() != null) {
            texts.put("condition.left", step.condition().left());
            texts.put("condition.right", step.condition().right());
        }
        return texts;
    }

    /** Each of a template's values, under the field it is at. */
    private static void putEach(Map<String, String> texts, String field, TemplateValues values) {
        List<String> fields = values == null ? List.of() : values.fields(field);
        for (int i = 0; i < fields.size(); i++) {
            texts.put(fields.get(i), values.values().get(i));
        }
    }

    private static void checkBranchKeys(FlowStep step, Set<String> allowed, List<FlowProblem> problems) {
        if (step.branches() != null) {
            step.branches().keySet().stream().filter(k -> !allowed.contains(k)).forEach(k -> problems.add(new FlowProblem(step.id(),
                    "branch '" + k + "' is not one of " + String.join(", ", new TreeSet<>(allowed)))));
        }
    }

    private void requireSender(FlowStep step, List<FlowProblem> problems) {
        if (blank(step.sender())) {
            problems.add(new FlowProblem(step.id(), "sender: is required"));
            return;
        }
        Optional<String> channel = senderChannel.apply(step.sender());
        String needed = switch (step.type()) {
            case StepTypes.SEND_SMS -> "sms";
            case StepTypes.VOICE_CALL -> "voice";
            default -> "whatsapp";
        };
        if (channel.isEmpty()) {
            problems.add(new FlowProblem(step.id(), "missing sender: " + step.sender() + " is not registered"));
        } else if (!channel.get().equals(needed)) {
            problems.add(new FlowProblem(step.id(), "sender: " + step.sender() + " sends on " + channel.get() + "; a "
                    + step.type() + " step needs a sender on " + needed));
        }
    }

    private static void checkMessageReference(FlowStep step, Map<String, FlowStep> byId, List<FlowProblem> problems, boolean required) {
        if (step.message() == null) {
            if (required) {
                problems.add(new FlowProblem(step.id(), "message: names the send step whose message this step follows"));
            }
            return;
        }
        FlowStep sent = byId.get(step.message());
        if (sent == null || sent.type() == null || !StepTypes.SENDING.contains(sent.type())) {
            problems.add(new FlowProblem(step.id(), "message: '" + step.message() + "' is not a sending step of this flow"));
        }
    }

    private static void checkTimeout(FlowStep step, List<FlowProblem> problems, boolean hasTimeoutBranch) {
        if (step.timeout() == null) {
            if (hasTimeoutBranch) {
                problems.add(new FlowProblem(step.id(), "timeout: the step has a timeout branch but no timeout"));
            }
            return;
        }
        Duration timeout = duration(step.timeout(), step.id(), "timeout", problems);
        if (timeout != null && (timeout.compareTo(MAX_TIMEOUT) > 0 || timeout.isNegative() || timeout.isZero())) {
            problems.add(new FlowProblem(step.id(), "timeout: " + step.timeout() + " is over 7 days (or not positive)"));
        }
        if (!hasTimeoutBranch) {
            problems.add(new FlowProblem(step.id(), "timeout: the step has a timeout but no branch to take when it passes"));
        }
    }

    static Duration duration(String text, String step, String field, List<FlowProblem> problems) {
        try {
            return FlowDurations.parse(text);
        } catch (DateTimeParseException | NullPointerException e) {
            problems.add(new FlowProblem(step, field + ": '" + text + "' " + (inMonthsOrYears(text)
                    ? "counts months or years, which have no fixed length: write days or weeks, such as P30D or P4W"
                    : "is not an ISO-8601 duration such as PT10M, P2D or P1W")));
            return null;
        }
    }

    /** Whether a duration's date part counts months or years (P1M, P1Y2M): ISO-8601, but of no fixed length. */
    private static boolean inMonthsOrYears(String text) {
        return text != null && Pattern.matches("(?i)[-+]?P(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+D)?(T.*)?", text)
                && text.toUpperCase(Locale.ROOT).split("T")[0].matches(".*\\d[YM].*");
    }

    private static LocalTime time(String text, String step, String field, List<FlowProblem> problems) {
        try {
            return LocalTime.parse(text);
        } catch (DateTimeParseException | NullPointerException e) {
            problems.add(new FlowProblem(step, field + ": '" + text + "' is not a time such as 09:00"));
            return null;
        }
    }

    private static void require(String value, String step, String field, List<FlowProblem> problems) {
        if (blank(value)) {
            problems.add(new FlowProblem(step, field + ": is required"));
        }
    }

    /** The steps a walk from {@code start} reaches without entering {@code avoided} (null: any step may be entered). */
    private static Set<String> reachedFrom(String start, Map<String, FlowStep> byId, String avoided) {
        return start.equals(avoided) ? Set.of() : walkFrom(start, byId,
                step -> targets(step).stream().filter(target -> !Objects.equals(target, avoided)).toList());
    }

    /** The steps a walk from {@code start} reaches, going from each step on to those {@code targetsOf} gives. */
    static Set<String> walkFrom(String start, Map<String, FlowStep> byId, Function<FlowStep, List<String>> targetsOf) {
        Set<String> seen = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(start));
        while (!todo.isEmpty()) {
            String id = todo.pop();
            if (seen.add(id) && byId.containsKey(id)) {
                targetsOf.apply(byId.get(id)).stream().filter(byId::containsKey).forEach(todo::push);
            }
        }
        return seen;
    }

    private static void checkReachable(String start, Map<String, FlowStep> byId, List<FlowProblem> problems) {
        Set<String> seen = reachedFrom(start, byId, null);
        byId.keySet().stream().filter(id -> !seen.contains(id)).forEach(id ->
                problems.add(new FlowProblem(id, "unreachable step: no path from the start leads to it")));
    }

    /**
     * A step that follows a message (a branch on its status, a wait for a reply to it, a report row about it) must come
     * after the step that sends it on every path from the start: where it can be reached without that send, the
     * journey has no message to follow, and would fail there (a branch on status), take any reply at all (a wait for a
     * reply) or report on no message (a report row). One walk from
     * the start per message followed, which does not go through the step that sends it.
     */
    private static void checkMessagesSentOnTheWay(String start, Map<String, FlowStep> byId, List<FlowProblem> problems) {
        Map<String, List<FlowStep>> followers = new LinkedHashMap<>();
        for (FlowStep step : byId.values()) {
            boolean follows = StepTypes.BRANCH_ON_STATUS.equals(step.type()) || StepTypes.WAIT_FOR_REPLY.equals(step.type())
                    || StepTypes.ADD_REPORT_ROW.equals(step.type());
            FlowStep sent = step.message() == null ? null : byId.get(step.message());
            if (follows && sent != null && sent.type() != null && StepTypes.SENDING.contains(sent.type())) {
                followers.computeIfAbsent(step.message(), k -> new ArrayList<>()).add(step);
            }
        }
        followers.forEach((sending, steps) -> {
            Set<String> reachedWithout = reachedFrom(start, byId, sending);
            steps.stream().filter(step -> reachedWithout.contains(step.id())).forEach(step -> problems.add(new FlowProblem(
                    step.id(), "message: a path from the start reaches this step without passing '" + sending
                    + "', so the journey would have no message of it to follow: put the step after it on every path")));
        });
    }

    /**
     * A cycle through no waiting step would run forever without time passing. A depth-first walk over the steps that
     * do not wait, kept on a stack of its own rather than the thread's, so that a long chain of steps cannot overflow it.
     */
    private static void checkCycles(Map<String, FlowStep> byId, List<FlowProblem> problems) {
        // 1: on the current path; 2: done (every path from it explored).
        Map<String, Integer> state = new HashMap<>();
        Set<String> reported = new HashSet<>();
        for (String root : byId.keySet()) {
            if (!goesOnWithoutWaiting(byId.get(root)) || state.containsKey(root)) {
                continue;
            }
            Deque<String> path = new ArrayDeque<>();
            Deque<Iterator<String>> next = new ArrayDeque<>();
            state.put(root, 1);
            path.push(root);
            next.push(targets(byId.get(root)).iterator());
            while (!next.isEmpty()) {
                if (!next.peek().hasNext()) {
                    next.pop();
                    state.put(path.pop(), 2);
                    continue;
                }
                String target = next.peek().next();
                FlowStep step = byId.get(target);
                Integer seen = state.get(target);
                if (!goesOnWithoutWaiting(step) || seen != null && seen == 2) {
                    continue;
                }
                if (seen != null) {
                    List<String> cycle = new ArrayList<>(path);
                    Collections.reverse(cycle);
                    cycle = cycle.subList(cycle.indexOf(target), cycle.size());
                    if (reported.add(new TreeSet<>(cycle).toString())) {
                        problems.add(new FlowProblem(target, "cycle with no wait in it: " + String.join(" → ", cycle) + " → " + target));
                    }
                    continue;
                }
                state.put(target, 1);
                path.push(target);
                next.push(targets(step).iterator());
            }
        }
    }

    private static boolean goesOnWithoutWaiting(FlowStep step) {
        return step != null && step.type() != null && !StepTypes.WAITING.contains(step.type());
    }

    static boolean blank(String text) {
        return text == null || text.isBlank();
    }
}

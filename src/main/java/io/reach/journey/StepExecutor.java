package io.reach.journey;

import io.reach.contact.Contact;
import io.reach.contact.Contacts;
import io.reach.contact.PhoneNumbers;
import io.reach.flow.FetchHosts;
import io.reach.flow.FlowDocument;
import io.reach.flow.FlowDurations;
import io.reach.flow.FlowStep;
import io.reach.flow.Flows;
import io.reach.flow.StepTypes;
import io.reach.messaging.InboundMessage;
import io.reach.messaging.InboundMessages;
import io.reach.messaging.MessageEvent;
import io.reach.messaging.MessageStatus;
import io.reach.messaging.Messages;
import io.reach.messaging.SendResult;
import io.reach.messaging.sms.SendSmsRequest;
import io.reach.messaging.sms.SmsSending;
import io.reach.messaging.voice.PlaceCallRequest;
import io.reach.messaging.voice.VoiceSending;
import io.reach.messaging.whatsapp.SendTemplateRequest;
import io.reach.messaging.whatsapp.WhatsAppSending;
import io.reach.shared.ApiException;
import io.reach.shared.BoundedBody;
import io.reach.shared.Texts;
import io.reach.template.ButtonParameter;
import io.reach.template.TemplateValues;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.cfg.JsonNodeFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The behaviour of each step type: what it does for one journey and where the journey goes next. Definitions stay
 * in {@link FlowStep}; the journey's state stays in the store; this class only decides.
 */
@Component
class StepExecutor {

    static final String MESSAGE_VARIABLE = "_message.";
    /** The message of the journey's last send step: the one its report rows are about. */
    static final String LAST_MESSAGE_VARIABLE = "_last_message";
    private static final Duration DEFAULT_FETCH_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final WhatsAppSending whatsApp;
    private final SmsSending sms;
    private final VoiceSending voice;
    private final Messages messages;
    private final InboundMessages inbound;
    private final Contacts contacts;
    private final Reports reports;
    private final JsonMapper json;
    // A fetched answer's decimals as they were written: a price of 19.90 stays "19.90", not the double 19.9.
    private final ObjectReader answers;
    private final Clock clock;
    // HTTP/1.1 only: an attempt to upgrade a plain-HTTP request to HTTP/2 (h2c), which the JDK's client makes by default,
    // is refused or mishandled by some servers and proxies, above all with a POST's body.
    private final HttpClient http = BoundedBody.http1Client(CONNECT_TIMEOUT);

    /** What went wrong with a fetch's exchange, as its step's outcome says it. */
    private static String fetchFailure(IOException cause, String url, Duration timeout) {
        if (cause instanceof HttpTimeoutException) {
            return "timed out after " + timeout;
        }
        if (cause instanceof BoundedBody.TooLarge || cause.getCause() instanceof BoundedBody.TooLarge) {
            return "the answer is larger than " + MAX_FETCHED_BYTES / 1024 / 1024 + " MiB";
        }
        if (cause instanceof ConnectException) {
            URI target = URI.create(url);
            return "request failed: could not connect to " + target.getHost() + ":"
                    + (target.getPort() >= 0 ? target.getPort() : "https".equalsIgnoreCase(target.getScheme()) ? 443 : 80);
        }
        // Some have no message (a connection closed early): the kind of failure is then what can be said.
        return "request failed: " + Objects.requireNonNullElse(cause.getMessage(), cause.getClass().getSimpleName());
    }

    /** The largest answer a fetch_variables step reads: a larger one takes its failure branch. */
    static final long MAX_FETCHED_BYTES = 1024 * 1024;

    private final Flows flows;
    private final FetchHosts fetchHosts;

    StepExecutor(WhatsAppSending whatsApp, SmsSending sms, VoiceSending voice, Messages messages, InboundMessages inbound,
                 Contacts contacts, Reports reports, JsonMapper json, Clock clock, Flows flows,
                 FetchHosts fetchHosts) {
        this.flows = flows;
        this.fetchHosts = fetchHosts;
        this.whatsApp = whatsApp;
        this.sms = sms;
        this.voice = voice;
        this.messages = messages;
        this.inbound = inbound;
        this.contacts = contacts;
        this.reports = reports;
        this.json = json;
        this.answers = json.reader().with(JsonNodeFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .without(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES);
        this.clock = clock;
    }

    /**
     * Executes a step; {@code variables} may be changed (the caller stores them with the outcome). The caller holds
     * the locks the step needs (see {@code JourneyEngine}); {@code sentHere} are the messages its transaction created,
     * with their first status, whose timelines need no reading. {@code contact} is null for the steps that need none
     * (see {@code JourneyEngine.contactFor}).
     */
    StepOutcome execute(FlowDocument flow, FlowStep step, Journey journey, Contact contact, Map<String, String> variables,
                        Map<UUID, MessageStatus> sentHere) {
        try {
            return switch (step.type()) {
                case StepTypes.SEND_WHATSAPP -> sendWhatsApp(flow, step, journey, contact, variables);
                case StepTypes.SEND_TEXT -> sendText(flow, step, journey, contact, variables);
                case StepTypes.SEND_SMS -> sendSms(flow, step, journey, contact, variables);
                case StepTypes.VOICE_CALL -> call(flow, step, journey, contact, variables);
                case StepTypes.BRANCH_ON_STATUS -> branchOnStatus(step, variables, sentHere);
                case StepTypes.WAIT_FOR_REPLY -> waitForReply(step, journey, variables, sentHere);
                case StepTypes.WAIT -> waitStep(step, contact);
                case StepTypes.FETCH_VARIABLES -> fetch(step, journey, contact, variables);
                case StepTypes.ADD_REPORT_ROW -> report(flow, step, journey, contact, variables);
                case StepTypes.ADD_TAG -> {
                    contacts.addTag(contact.id(), fill(step.tag(), contact, variables));
                    yield new StepOutcome.Next(step.next(), null, "tag added", null);
                }
                case StepTypes.REMOVE_TAG -> {
                    contacts.removeTag(contact.id(), fill(step.tag(), contact, variables));
                    yield new StepOutcome.Next(step.next(), null, "tag removed", null);
                }
                case StepTypes.SET_ATTRIBUTE -> {
                    String value = fill(step.value(), contact, variables);
                    contacts.setAttribute(contact.id(), step.attribute(), value);
                    yield new StepOutcome.Next(step.next(), null, step.attribute() + " = " + value, null);
                }
                case StepTypes.CONDITION -> condition(step, contact, variables);
                case StepTypes.END -> new StepOutcome.End("ended");
                default -> new StepOutcome.Fail("unknown step type " + step.type());
            };
        } catch (ApiException e) {
            return new StepOutcome.Fail("step " + step.id() + ": " + e.getMessage());
        }
    }

    private StepOutcome sendWhatsApp(FlowDocument flow, FlowStep step, Journey journey, Contact contact, Map<String, String> variables) {
        Set<String> missing = new LinkedHashSet<>();
        TemplateValues header = templateValues(step.headerParameters(), contact, variables, missing);
        TemplateValues body = templateValues(step.bodyParameters(), contact, variables, missing);
        List<ButtonParameter> buttons = step.buttonParameters() == null ? null : step.buttonParameters().stream()
                .map(b -> new ButtonParameter(b.index(), fillTracking(b.value(), contact, variables, missing))).toList();
        SendResult sent = sendOrBlock(refusal(missing), refusal -> whatsApp.send(new SendTemplateRequest(senderOf(step, journey),
                null, contact.id().toString(), step.template(), step.language(), header, body, buttons, flow.name(), key(journey)),
                refusal, contact, flow.awaitsReplyTo(step.id())));
        return sent(step, sent, variables);
    }

    private StepOutcome sendText(FlowDocument flow, FlowStep step, Journey journey, Contact contact, Map<String, String> variables) {
        Set<String> missing = new LinkedHashSet<>();
        String text = fillTracking(step.text(), contact, variables, missing);
        SendResult sent = sendOrBlock(refusal(missing), refusal -> whatsApp.sendText(senderOf(step, journey), contact, text,
                flow.name(), key(journey), refusal, flow.awaitsReplyTo(step.id())));
        return sent(step, sent, variables);
    }

    private StepOutcome sendSms(FlowDocument flow, FlowStep step, Journey journey, Contact contact, Map<String, String> variables) {
        Set<String> missing = new LinkedHashSet<>();
        String text = fillTracking(step.text(), contact, variables, missing);
        SendResult sent = sendOrBlock(refusal(missing), refusal -> sms.send(new SendSmsRequest(senderOf(step, journey), null,
                contact.id().toString(), text, step.category(), flow.name(), key(journey)), refusal, contact,
                flow.awaitsReplyTo(step.id())));
        return sent(step, sent, variables);
    }

    private StepOutcome call(FlowDocument flow, FlowStep step, Journey journey, Contact contact, Map<String, String> variables) {
        Set<String> missing = new LinkedHashSet<>();
        String text = fillTracking(step.text(), contact, variables, missing);
        SendResult sent = sendOrBlock(refusal(missing), refusal -> voice.call(new PlaceCallRequest(senderOf(step, journey), null,
                contact.id().toString(), text, step.language(), step.voice(), step.category(), flow.name(), key(journey)),
                refusal, contact));
        return sent(step, sent, variables);
    }

    /**
     * Sends, or records the message {@code blocked} when the channel refuses what the step's placeholders filled in
     * (an SMS over its parts, a call's text too long, a template's parameter WhatsApp would not take): the refusal is
     * the reason, and the journey goes on by the message's status (a {@code branch_on_status} takes {@code blocked},
     * else {@code failed}, to its fallback), as for a placeholder without a value, instead of failing for good.
     */
    private static SendResult sendOrBlock(String refusal, Function<String, SendResult> send) {
        try {
            return send.apply(refusal);
        } catch (ApiException refused) {
            if (refusal != null || refused.status() != HttpStatus.BAD_REQUEST) {
                throw refused;
            }
            return send.apply(Texts.clip(refused.getMessage(), 1000));
        }
    }

    /** The sender a send step names, as it was when the journey's version was published (a rename changes nothing). */
    private String senderOf(FlowStep step, Journey journey) {
        return flows.senderOf(journey.flowVersionId(), step.sender());
    }

    private StepOutcome sent(FlowStep step, SendResult sent, Map<String, String> variables) {
        variables.put(MESSAGE_VARIABLE + step.id(), sent.messageId().toString());
        variables.put("_last_from", step.sender());
        variables.put(LAST_MESSAGE_VARIABLE, sent.messageId().toString());
        String outcome = sent.status().wireName() + (sent.blockedReason() == null ? "" : ": " + sent.blockedReason());
        return new StepOutcome.Next(step.next(), null, outcome, sent.messageId(), sent.replayed() ? null : sent.status());
    }

    /** A send step's idempotency key: one message per journey and step visit, whatever happens around it. */
    private static String key(Journey journey) {
        return "journey:" + journey.id() + ":" + journey.visits();
    }

    private static String refusal(Set<String> missing) {
        return missing.isEmpty() ? null : "missing variable: " + String.join(", ", missing) + " has no value and no default";
    }

    private StepOutcome branchOnStatus(FlowStep step, Map<String, String> variables,
                                       Map<UUID, MessageStatus> sentHere) {
        UUID messageId = messageOf(step, variables);
        if (messageId == null) {
            return new StepOutcome.Fail("step " + step.id() + ": step " + step.message() + " sent no message in this journey");
        }
        Set<String> keys = new LinkedHashSet<>(step.branches().keySet());
        keys.remove("timeout");
        // The first decisive event that is already in the timeline decides at once (the caller holds the message's lock).
        List<MessageStatus> timeline = sentHere.containsKey(messageId) ? List.of(sentHere.get(messageId))
                : messages.timeline(messageId).stream().map(MessageEvent::status).toList();
        for (MessageStatus status : timeline) {
            String decision = Decisions.forStatus(status, keys);
            if (decision != null) {
                return new StepOutcome.Next(step.branches().get(decision), decision, "status " + status.wireName(), null);
            }
        }
        Instant wakeAt = step.timeout() == null ? null : clock.instant().plus(FlowDurations.parse(step.timeout()));
        return new StepOutcome.Wait(StepOutcome.STATUS, wakeAt, messageId, String.join(",", keys), null, null);
    }

    private StepOutcome waitForReply(FlowStep step, Journey journey, Map<String, String> variables,
                                     Map<UUID, MessageStatus> sentHere) {
        UUID messageId = step.message() == null ? null : messageOf(step, variables);
        Set<String> keys = Decisions.replyBranches(step);
        // The engine holds the contact's lock here: a reply being stored now is either seen or sees this journey waiting.
        if (messageId != null) {
            for (InboundMessage reply : inbound.repliesTo(messageId, journey.contactId())) {
                if (!reply.isReply()) {
                    continue;
                }
                String decision = Decisions.forReply(reply.replyPayload(), reply.text(), keys);
                if (decision != null) {
                    remember(reply, variables);
                    return new StepOutcome.Next(step.branches().get(decision), decision, "reply " + describe(reply), null);
                }
            }
            // A question that was never sent, or failed, has no answer to wait for: its no-reply branch (often a
            // fallback) goes now.
            MessageStatus status = sentHere.containsKey(messageId) ? sentHere.get(messageId)
                    : messages.statusesOf(List.of(messageId)).get(messageId);
            if (Decisions.unanswerable(status)) {
                return new StepOutcome.Next(step.branches().get(StepTypes.NO_REPLY), StepTypes.NO_REPLY,
                        Decisions.questionUnanswerable(messages.find(messageId)), null);
            }
        }
        Instant wakeAt = step.timeout() == null ? null : clock.instant().plus(FlowDurations.parse(step.timeout()));
        return new StepOutcome.Wait(StepOutcome.REPLY, wakeAt, messageId, String.join(",", keys), null, null);
    }

    static void remember(InboundMessage reply, Map<String, String> variables) {
        if (reply.text() != null) {
            variables.put("reply.text", reply.text());
        }
        if (reply.replyPayload() != null) {
            variables.put("reply.payload", reply.replyPayload());
        }
    }

    static String describe(InboundMessage reply) {
        return reply.replyPayload() != null ? reply.replyPayload() : reply.text();
    }

    private StepOutcome waitStep(FlowStep step, Contact contact) {
        if (step.duration() != null) {
            Duration duration = FlowDurations.parse(step.duration());
            return new StepOutcome.Wait(StepOutcome.TIMER, clock.instant().plus(duration), null, null, "waiting " + duration, null);
        }
        LocalTime from = LocalTime.parse(step.window().from());
        LocalTime to = LocalTime.parse(step.window().to());
        Instant now = clock.instant();
        // A contact without a time zone whose number may be in several (a Spanish or an Australian mobile) waits until
        // the window is open in all of them; UTC only when the number tells nothing, or when its zones lie too far apart.
        List<ZoneId> zones = contact.timeZone() != null ? List.of(ZoneId.of(contact.timeZone()))
                : PhoneNumbers.timeZonesOf(contact.phone()).stream().map(ZoneId::of).toList();
        Optional<Instant> opening = zones.isEmpty() ? Optional.empty()
                : LocalWindow.opening(now, from, to, zones);
        String where;
        if (opening.isPresent()) {
            where = zones.size() == 1 ? zones.getFirst().getId() : "in each of the number's time zones: "
                    + Texts.clip(zones.stream().map(ZoneId::getId).collect(Collectors.joining(", ")), 300);
        } else {
            where = "UTC: " + (zones.isEmpty() ? "the contact has no time zone" : "no moment is inside it in all of the "
                    + zones.size() + " time zones of the contact's number") + "; set the contact's timeZone";
            zones = List.of(ZoneOffset.UTC);
            opening = LocalWindow.opening(now, from, to, zones);
        }
        Instant at = opening.orElseThrow();
        if (!at.isAfter(now)) {
            return new StepOutcome.Next(step.next(), null, "inside the window " + from + "–" + to + " (" + where + ")", null);
        }
        return new StepOutcome.Wait(StepOutcome.TIMER, at, null, null, "waiting until " + at.atZone(zones.getFirst())
                + " (" + where + ")", null);
    }

    /** The longest a fetch_variables step's exchange can take: connecting, then waiting for the answer. */
    Duration longestFetch(FlowStep step) {
        return CONNECT_TIMEOUT.plus(fetchTimeout(step.request()));
    }

    private static Duration fetchTimeout(FlowStep.Request request) {
        return request.timeout() == null ? DEFAULT_FETCH_TIMEOUT : FlowDurations.parse(request.timeout());
    }

    /**
     * The {@code Idempotency-Key} a fetch's POST carries unless its step sets one: the journey and its visit to the
     * step, the same when a crash during the exchange makes Reach send the request again, so that a backend can
     * answer the repeat without acting twice (draft-ietf-httpapi-idempotency-key-header).
     */
    static String idempotencyKey(Journey journey) {
        return journey.id() + "." + journey.visits();
    }

    private static boolean setsHeader(FlowStep.Request request, String name) {
        return request.headers() != null && request.headers().keySet().stream().anyMatch(name::equalsIgnoreCase);
    }

    private StepOutcome fetch(FlowStep step, Journey journey, Contact contact, Map<String, String> variables) {
        FlowStep.Request request = step.request();
        String url = Placeholders.fillUrl(request.url(), contact, variables).text();
        Duration timeout = fetchTimeout(request);
        String failure = step.branches().get("failure");
        String success = step.branches().get("success");
        HttpRequest.Builder builder;
        try {
            URI target = URI.create(url);
            Optional<String> refused = fetchHosts.refusal(target);
            if (refused.isPresent()) {
                return new StepOutcome.Next(failure, "failure", refused.get() + ": not called", null);
            }
            builder = HttpRequest.newBuilder(target).timeout(timeout);
        } catch (IllegalArgumentException e) {
            return new StepOutcome.Next(failure, "failure", "bad URL " + url, null);
        }
        List<String> headerValues = new ArrayList<>();
        if (request.headers() != null) {
            for (Map.Entry<String, String> header : request.headers().entrySet()) {
                String value = fill(header.getValue(), contact, variables);
                headerValues.add(value);
                try {
                    builder.header(header.getKey(), value);
                } catch (IllegalArgumentException refused) {
                    // A name the client sets itself (Host, Content-Length…), or a value a variable filled with a line break.
                    return new StepOutcome.Next(failure, "failure", "header " + header.getKey() + " cannot be sent: "
                            + refused.getMessage(), null);
                }
            }
        }
        if ("POST".equals(request.method())) {
            // Unless the step sets them: a header sent twice is read as either value, or refused.
            if (!setsHeader(request, "Content-Type")) {
                builder.header("Content-Type", "application/json");
            }
            if (!setsHeader(request, "Idempotency-Key")) {
                builder.header("Idempotency-Key", idempotencyKey(journey));
            }
            String body = request.body() == null ? "" : Placeholders.fillJson(request.body(), contact, variables).text();
            builder.POST(HttpRequest.BodyPublishers.ofString(body));
        } else {
            builder.GET();
        }
        HttpResponse<String> response;
        // The whole exchange, its body included, within the timeout: a backend that trickles its answer must not hold
        // the step (and its lease) for as long as it likes.
        try {
            response = BoundedBody.send(http, builder.build(), MAX_FETCHED_BYTES, timeout);
        } catch (IOException e) {
            return new StepOutcome.Next(failure, "failure", fetchFailure(e, url, timeout), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new StepOutcome.Fail("interrupted while fetching variables");
        }
        if (response.statusCode() / 100 != 2) {
            return new StepOutcome.Next(failure, "failure", Texts.withoutNul(unsuccessful(response, headerValues)), null);
        }
        JsonNode body;
        try {
            body = answers.readTree(response.body());
        } catch (JacksonException e) {
            return new StepOutcome.Next(failure, "failure", "the answer is not JSON", null);
        }
        List<String> found = new ArrayList<>();
        List<String> absent = new ArrayList<>();
        if (step.extract() != null) {
            for (Map.Entry<String, String> extract : step.extract().entrySet()) {
                JsonNode value = body.at(extract.getValue());
                if (!value.isMissingNode() && !value.isNull()) {
                    // Without the NUL character: a message or a report row it went into could not be stored on PostgreSQL.
                    variables.put(extract.getKey(), Texts.withoutNul(value.isBigDecimal()
                            ? value.decimalValue().toPlainString() : value.isValueNode() ? value.asString() : value.toString()));
                    found.add(extract.getKey());
                } else {
                    absent.add(extract.getKey() + " (" + extract.getValue() + ")");
                }
            }
        }
        return new StepOutcome.Next(success, "success", "HTTP " + response.statusCode() + ", set " + found
                + (absent.isEmpty() ? "" : "; not in the answer: " + absent), null);
    }

    /** A fetch's outcome for an answer that is not a success: what a flow's author needs to see to put it right. */
    private static String unsuccessful(HttpResponse<String> response, List<String> headerValues) {
        int status = response.statusCode();
        if (status / 100 == 3) {
            // Redirects are not followed: a request's headers (an API key) must not go to wherever an answer points.
            return "HTTP " + status + ", a redirect to " + response.headers().firstValue("Location").orElse("nowhere")
                    + ", not followed: give the step the URL it leads to";
        }
        String body = response.body() == null ? "" : response.body().strip().replaceAll("\\s+", " ");
        // An answer that quotes the request's headers ("invalid key k-123") must not put an API key in the journey's path.
        for (String value : headerValues) {
            if (value.length() >= 4) {
                body = body.replace(value, "***");
            }
            for (String part : value.split("\\s+")) { // the token of "Bearer <token>"
                if (part.length() >= 8) {
                    body = body.replace(part, "***");
                }
            }
        }
        return body.isEmpty() ? "HTTP " + status : "HTTP " + status + ": " + Texts.clip(body, 200);
    }

    /** A report row about the message its step names, or else about the journey's last message. */
    private StepOutcome report(FlowDocument flow, FlowStep step, Journey journey, Contact contact, Map<String, String> variables) {
        String message = variables.get(step.message() == null ? LAST_MESSAGE_VARIABLE : MESSAGE_VARIABLE + step.message());
        String from = step.message() == null ? variables.get("_last_from")
                : flow.step(step.message()).map(FlowStep::sender).orElse(null);
        reports.add(journey.flowVersionId(), journey.id(), step.id(), journey.visits(), contact.id(), from,
                contact.phone(), fill(step.status(), contact, variables), fill(step.description(), contact, variables),
                message == null ? null : UUID.fromString(message));
        return new StepOutcome.Next(step.next(), null, "report row added", null);
    }

    private StepOutcome condition(FlowStep step, Contact contact, Map<String, String> variables) {
        FlowStep.Condition condition = step.condition();
        String left = fill(condition.left(), contact, variables);
        String right = fill(condition.right(), contact, variables);
        boolean result = switch (condition.operator()) {
            case "equals" -> left.equals(right);
            case "not_equals" -> !left.equals(right);
            case "contains" -> left.contains(right);
            case "exists" -> !left.isEmpty();
            case "not_exists" -> left.isEmpty();
            case "greater_than" -> compare(left, right) > 0;
            case "less_than" -> compare(left, right) < 0;
            case "at_least" -> compare(left, right) >= 0;
            case "at_most" -> compare(left, right) <= 0;
            default -> false;
        };
        String branch = String.valueOf(result);
        // "19.90 EUR" greater_than "100" compares characters: say so where the journey's path is read.
        boolean ordered = Set.of("greater_than", "less_than", "at_least", "at_most").contains(condition.operator());
        return new StepOutcome.Next(step.branches().get(branch), branch, "'" + left + "' " + condition.operator()
                + (condition.right() == null ? "" : " '" + right + "'") + " is " + result
                + (ordered && (number(left) == null || number(right) == null) ? " (compared as texts)" : ""), null);
    }

    private static int compare(String left, String right) {
        BigDecimal leftNumber = number(left);
        BigDecimal rightNumber = number(right);
        return leftNumber != null && rightNumber != null ? leftNumber.compareTo(rightNumber) : left.compareTo(right);
    }

    private static BigDecimal number(String text) {
        try {
            return new BigDecimal(text.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The message the step's {@code message} (a sending step) sent in this journey; null when it sent none. */
    static UUID messageOf(FlowStep step, Map<String, String> variables) {
        String id = variables.get(MESSAGE_VARIABLE + step.message());
        return id == null ? null : UUID.fromString(id);
    }

    private static String fill(String text, Contact contact, Map<String, String> variables) {
        return text == null ? "" : Placeholders.fill(text, contact, variables).text();
    }

    private static String fillTracking(String text, Contact contact, Map<String, String> variables, Set<String> missing) {
        if (text == null) {
            return null;
        }
        Placeholders.Filled filled = Placeholders.fill(text, contact, variables);
        missing.addAll(filled.missing());
        return filled.text();
    }

    /**
     * Template parameters as WhatsApp takes them: it refuses a parameter with a line break, a tab or more than four
     * spaces in a row. A journey's come from contacts' data and events (a two-line address), which the flow's author
     * does not control: each such run becomes one space, and the message goes out on one line rather than not at all.
     */
    static String oneLine(String value) {
        return value == null ? null : value.replaceAll(" *[\\r\\n\\t][\\s]*", " ").replaceAll(" {5,}", " ");
    }

    /** A send's template values with the journey's placeholders filled in, each on one line (as WhatsApp takes them). */
    private static TemplateValues templateValues(TemplateValues values, Contact contact, Map<String, String> variables,
                                                 Set<String> missing) {
        return values == null ? null : values.map(value -> oneLine(fillTracking(value, contact, variables, missing)));
    }
}

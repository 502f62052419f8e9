package io.reach.journey;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.reach.contact.Contacts;
import io.reach.flow.FlowDocument;
import io.reach.flow.FlowDurations;
import io.reach.flow.FlowProblem;
import io.reach.flow.FlowStep;
import io.reach.flow.FlowVersion;
import io.reach.flow.Flows;
import io.reach.flow.StepTypes;
import io.reach.messaging.Messages;
import io.reach.messaging.Recipients;
import io.reach.shared.ApiException;
import io.reach.shared.FieldProblem;
import io.reach.shared.Ids;
import io.reach.shared.MessageCategory;
import io.reach.shared.Texts;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/** The journey feature's API: start journeys (API call, event, audience), and see where they are. */
@Service
public class Journeys {

    private static final Logger log = LoggerFactory.getLogger(Journeys.class);

    /** Journeys a stop cancels per transaction. */
    static final int CANCEL_CHUNK = 500;

    /** Chunks a stop cancels at most before it answers (5,000 journeys: 0.6 s on PostgreSQL, 1 s on H2 here). */
    static final int STOP_CHUNKS = 10;

    private final JourneyStore store;
    private final Flows flows;
    private final Contacts contacts;
    private final Recipients recipients;
    private final JourneyEngine engine;
    private final TransactionTemplate transactions;
    private final Clock clock;
    private final Messages messages;
    private final LaunchStore launches;
    private final LaunchWorker launchWorker;
    private final CancellationStore cancellations;
    private final CancellationWorker cancellationWorker;
    private final KeptCounts keptCounts = new KeptCounts(System::nanoTime);

    Journeys(JourneyStore store, Flows flows, Contacts contacts, Recipients recipients, JourneyEngine engine,
             TransactionTemplate transactions, Clock clock, Messages messages,
             LaunchStore launches, LaunchWorker launchWorker, CancellationStore cancellations,
             CancellationWorker cancellationWorker) {
        this.cancellations = cancellations;
        this.cancellationWorker = cancellationWorker;
        this.launches = launches;
        this.launchWorker = launchWorker;
        this.clock = clock;
        this.messages = messages;
        this.store = store;
        this.flows = flows;
        this.contacts = contacts;
        this.recipients = recipients;
        this.engine = engine;
        this.transactions = transactions;
    }

    /** A journey started, or the one an earlier call with the same key started. */
    @Schema(name = "JourneyStarted")
    public record Started(UUID journeyId, UUID flowVersionId, boolean replayed) {}

    /**
     * Starts the flow's latest published version for one contact, with variables; with a {@code key} an earlier call
     * used, answers with the journey that call started (even once the flow was stopped).
     */
    public Started start(UUID flowId, String to, String contactId, Map<String, String> variables, String key) {
        checkKey(key);
        checkGiven("variables", variables);
        String entryKey = key == null ? null : "api:" + flowId + ":" + key;
        UUID contact = recipients.resolveId(to, contactId);
        Optional<Started> replayed = replayed(entryKey, contact);
        if (replayed.isPresent()) {
            return replayed.get();
        }
        FlowVersion version = flows.latestPublished(flowId);
        if (!"api".equals(version.entryType())) {
            throw new ApiException(HttpStatus.CONFLICT, "wrong_entry", "Flow " + version.name() + " starts on "
                    + version.entryType() + ", not through the API");
        }
        if (variables != null) {
            variables.keySet().stream().filter(name -> !StepTypes.isUsersVariable(name)).findFirst()
                    .ifPresent(name -> {
                        throw ApiException.invalidField("variables." + name, StepTypes.USERS_VARIABLES);
                    });
        }
        Map<String, String> vars = new LinkedHashMap<>(variables == null ? Map.of() : variables);
        return begin(version, contact, entryKey, vars).orElseThrow(() -> new ApiException(HttpStatus.CONFLICT, "flow_stopped",
                "Flow " + version.name() + " was stopped while this journey was being started: resume it first"));
    }

    /**
     * What a posted event did: the journeys it started, and those it cancelled (their flows exit on it); when it
     * started none, why ({@code whyNoJourney}: the flow is stopped, only a draft starts on the event, or none does).
     */
    public record EventPosted(List<Started> journeys, List<UUID> exited, String whyNoJourney) {}

    /**
     * Posts a named event for a contact: its journeys under way on a flow version that exits on it ({@code exitOn})
     * are cancelled first, as {@link #cancel} does one; then every flow whose published version starts on it starts a
     * journey.
     */
    public EventPosted postEvent(String name, String to, String contactId, Map<String, String> properties, String key) {
        if (name == null || name.isBlank()) {
            throw ApiException.invalidField("name", "is required (the event's name, e.g. order_ready)");
        }
        checkKey(key);
        checkGiven("properties", properties);
        UUID contact = recipients.resolveId(to, contactId);
        List<FlowVersion> starting = flows.startedBy(name);
        // A key another contact's event used is refused before this event changes anything.
        Map<UUID, Started> repeats = new HashMap<>();
        for (FlowVersion version : starting) {
            replayed(eventEntryKey(version, name, key), contact).ifPresent(earlier -> repeats.put(version.flowId(), earlier));
        }
        List<UUID> exited = exit(contact, name);
        Map<String, String> vars = new LinkedHashMap<>();
        if (properties != null) {
            properties.forEach((k, v) -> vars.put("event." + k, v));
        }
        List<Started> started = new ArrayList<>();
        for (FlowVersion version : starting) {
            Started earlier = repeats.get(version.flowId());
            if (earlier != null) {
                started.add(earlier); // a repeat, answered even once the flow is stopped
            } else if (version.stoppedAt() == null) {
                begin(version, contact, eventEntryKey(version, name, key), vars).ifPresent(started::add); // empty: stopped meanwhile
            }
        }
        return new EventPosted(started, exited, started.isEmpty() ? flows.whyNoJourneyStarts(name, starting) : null);
    }

    /** Cancels the contact's journeys under way on the versions that exit on the event; their ids. */
    private List<UUID> exit(UUID contact, String event) {
        List<UUID> versions = flows.exitedBy(event);
        if (versions.isEmpty()) {
            return List.of();
        }
        List<UUID> exited = cancelUnderWay(contact, versions, "exited: event " + event + " was posted").cancelledJourneys();
        if (!exited.isEmpty()) {
            log.info("Event {} cancelled {} journeys of contact {} (their flows exit on it)", event, exited.size(), contact);
        }
        return exited;
    }

    private static String eventEntryKey(FlowVersion version, String event, String key) {
        return key == null ? null : "event:" + version.flowId() + ":" + event + ":" + key;
    }

    /**
     * The journey an earlier start or event with this entry key started for {@code contact}, if there is one; a 409
     * when it started one for another contact (a key reused by mistake: answering with that journey would start
     * nothing for this contact without a word).
     */
    private Optional<Started> replayed(String entryKey, UUID contact) {
        return store.byEntryKey(entryKey).flatMap(store::find).map(journey -> {
            if (!journey.contactId().equals(contact)) {
                throw new ApiException(HttpStatus.CONFLICT, "key_reused", "key: journey " + journey.id() + " was started"
                        + " with this key for another contact; a key names one start of one contact (a repeat of its"
                        + " request), so give this one a key of its own",
                        List.of(new FieldProblem("key", "names another contact's journey")));
            }
            return new Started(journey.id(), journey.flowVersionId(), true);
        });
    }

    /**
     * Launches the flow's latest published version on its audience: counts the audience and records the launch, which
     * {@link LaunchWorker} then works a page of contacts at a time (see {@link #launchOf} for its progress). Launching
     * again starts no contact twice on the same version: a contact that has a journey of it is taken, not started.
     * A version that sends a template Meta has not approved is not launched (each of its sends would be blocked, and
     * every contact sent to its fallback) unless {@code despiteUnapprovedTemplates}.
     */
    public Launch launch(UUID flowId, boolean despiteUnapprovedTemplates) {
        return launch(flowId, despiteUnapprovedTemplates, null);
    }

    /** Launches the flow as {@link #launch(UUID, boolean, String, String)} does, with no latest start. */
    public Launch launch(UUID flowId, boolean despiteUnapprovedTemplates, String at) {
        return launch(flowId, despiteUnapprovedTemplates, at, null);
    }

    /**
     * Launches the flow as {@link #launch(UUID, boolean)} does, at {@code at} (see {@link LaunchTimes}; null for now):
     * until then the launch is {@code SCHEDULED}, takes no contact and can be cancelled; its audience's activity bounds
     * count back from {@code at}, and its size is counted again then. Its templates are checked then too, not when it
     * is scheduled: the answer warns of those not approved yet. A launch no node could begin by {@code notAfter} (its
     * nodes down at its time) is refused then, rather than go out late.
     */
    public Launch launch(UUID flowId, boolean despiteUnapprovedTemplates, String at, String notAfter) {
        Instant now = clock.instant();
        Instant startsAt = at == null ? now : LaunchTimes.at(at, now);
        Instant latest = LaunchTimes.notAfter(notAfter, at == null ? null : startsAt);
        FlowVersion version = flows.latestPublished(flowId);
        if (!"audience".equals(version.entryType())) {
            throw new ApiException(HttpStatus.CONFLICT, "wrong_entry", "Flow " + version.name() + " starts on "
                    + version.entryType() + ", not on an audience");
        }
        List<FlowProblem> unapproved = flows.unapprovedTemplates(version.id());
        // A scheduled launch is checked when it begins (on the version published last then): Meta may approve a
        // template meanwhile, which is how a campaign is planned.
        if (!unapproved.isEmpty() && !despiteUnapprovedTemplates && at == null) {
            throw new ApiException(HttpStatus.CONFLICT, "template_not_approved", notLaunched(version, "", unapproved)
                    + ". Launch it once Meta has approved it, or with ?despiteUnapprovedTemplates=true", unapproved);
        }
        long audienceSize = contacts.countMatching(audienceFilter(flows.document(version.id()).entry().audience(), startsAt));
        Launch launch = launches.insert(Ids.newId(), flowId, version.id(), startsAt, latest, audienceSize,
                despiteUnapprovedTemplates);
        if (Launch.SCHEDULED.equals(launch.state())) {
            log.info("Scheduled the launch of flow {} version {} for {}: {} contacts in its audience now (launch {}){}",
                    version.name(), version.version(), startsAt, audienceSize, launch.id(), unapproved.isEmpty() ? ""
                            : "; " + unapproved.size() + " of its templates not approved yet, " + (despiteUnapprovedTemplates
                            ? "launched despite them" : "checked again at its time"));
            String then = despiteUnapprovedTemplates ? "; the launch begins despite it"
                    : "; checked again when the launch begins: not approved by then, the launch is refused and takes nobody";
            return launch.withWarnings(unapproved.stream()
                    .map(problem -> new FlowProblem(problem.step(), problem.message() + then)).toList());
        }
        log.info("Launching flow {} version {}: {} contacts in its audience (launch {})", version.name(), version.version(),
                audienceSize, launch.id());
        launchWorker.wake();
        return launch.withWarnings(unapproved);
    }

    /** Why a version with templates Meta has not approved was not launched {@code when}: the first one, and how many more. */
    static String notLaunched(FlowVersion version, String when, List<FlowProblem> unapproved) {
        return "Flow " + version.name() + " version " + version.version() + " was not launched" + when + ": step "
                + unapproved.getFirst().step() + ": " + unapproved.getFirst().message()
                + (unapproved.size() > 1 ? " (and " + (unapproved.size() - 1) + " more)" : "");
    }


    /**
     * Cancels a launch that is scheduled (it will take nobody) or running (it takes no more contacts; the journeys it
     * started go on: stopping the flow with {@code cancelJourneys} cancels those); a 409 for one that is over.
     */
    public Launch cancelLaunch(UUID launchId) {
        Launch launch = launchOf(launchId);
        if (!launches.cancel(launchId)) {
            Launch now = launchOf(launchId);
            throw new ApiException(HttpStatus.CONFLICT, "launch_over", "Launch " + launchId + " is " + now.state()
                    + ": only a scheduled or running launch is cancelled", List.of());
        }
        log.info("Cancelled launch {} of flow {} ({} before, {} journeys started)", launchId, launch.flowId(),
                launch.state(), launch.started());
        return launchOf(launchId);
    }

    /**
     * The number of contacts the audience of a flow's version takes now ({@code audienceSize}), as a launch would
     * count it: what a broadcast is about to reach, known before it is published or launched.
     */
    public record AudienceSize(UUID flowId, String name, int version, String status, long audienceSize,
                               Instant countedAt) {}

    /** How many contacts the audience of the flow's version {@code number} (null: its newest, draft or not) takes now. */
    public AudienceSize audienceSize(UUID flowId, Integer number) {
        FlowVersion version = number == null ? flows.latestVersion(flowId) : flows.version(flowId, number);
        if (!"audience".equals(version.entryType())) {
            throw new ApiException(HttpStatus.CONFLICT, "wrong_entry", "Flow " + version.name() + " version "
                    + version.version() + " starts on " + version.entryType() + ", not on an audience");
        }
        Instant now = clock.instant();
        long size = contacts.countMatching(audienceFilter(flows.document(version.id()).entry().audience(), now));
        return new AudienceSize(version.flowId(), version.name(), version.version(), version.status(), size, now);
    }

    /** A launch and how far it got. */
    public Launch launchOf(UUID launchId) {
        return launches.find(launchId).orElseThrow(() -> ApiException.notFound("Launch", launchId));
    }

    /** The launches of every flow, newest first: all, or those in {@code state} (any case). */
    public List<Launch> launches(String state, int limit) {
        String wanted = state == null ? null : state.strip().toUpperCase(Locale.ROOT);
        if (wanted != null && !Launch.STATES.contains(wanted)) {
            throw ApiException.invalidField("state", "must be one of " + String.join(", ", Launch.STATES).toLowerCase(
                    Locale.ROOT));
        }
        return launches.all(wanted, limit);
    }

    /** A flow's launches, newest first. */
    public List<Launch> launchesOf(UUID flowId, int limit) {
        flows.versions(flowId); // a 404 for a flow that does not exist
        return launches.ofFlow(flowId, limit);
    }

    /** The entry key of a contact's journey on an audience flow's version: one per contact and version. */
    static String audienceEntryKey(UUID versionId, UUID contactId) {
        return "audience:" + versionId + ":" + contactId;
    }

    /**
     * A stopped flow and, when its journeys under way are cancelled with it, their cancellation: {@code DONE} when the
     * stop could finish it before answering, {@code RUNNING} when a background worker goes on with it.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(name = "FlowStopped")
    public record Stopped(FlowVersion flow, Cancellation cancellation) {}

    /**
     * Stops a flow (no journey starts on it until it is resumed) and, with {@code cancelJourneys}, cancels its
     * journeys under way, a chunk at a time: they take no further step, a status or reply that comes for them later
     * moves nothing, and the messages they queued that no provider has been handed yet are withdrawn (blocked). The
     * cancellation is recorded with the stop; this call works up to {@link #STOP_CHUNKS} chunks of it itself (fewer
     * when a worker has started on it meanwhile), and {@link CancellationWorker} the rest, after a restart too. A stop while the flow's journeys are still being
     * cancelled answers with that cancellation.
     */
    public Stopped stop(UUID flowId, boolean cancelJourneys) {
        Stopped stopped = transactions.execute(tx -> {
            FlowVersion flow = flows.stop(flowId);
            if (!cancelJourneys) {
                return new Stopped(flow, null);
            }
            return new Stopped(flow, cancellations.runningOf(flowId).orElseGet(() -> cancellations.insert(
                    Ids.newId(), flowId, "cancelled: flow " + flow.name() + " was stopped")));
        });
        if (stopped.cancellation() == null) {
            return stopped;
        }
        Cancellation cancellation = cancellationWorker.work(stopped.cancellation().id(), STOP_CHUNKS);
        if (cancellation.running()) {
            log.info("Stopping flow {}: its journeys are cancelled in the background (cancellation {})", stopped.flow().name(),
                    cancellation.id());
            cancellationWorker.wake();
        }
        return new Stopped(stopped.flow(), cancellation);
    }

    /** A cancellation of a stopped flow's journeys and how far it got. */
    public Cancellation cancellationOf(UUID cancellationId) {
        return cancellations.find(cancellationId).orElseThrow(() -> ApiException.notFound("Cancellation", cancellationId));
    }

    /** A flow's cancellations, newest first. */
    public List<Cancellation> cancellationsOf(UUID flowId, int limit) {
        flows.versions(flowId); // a 404 for a flow that does not exist
        return cancellations.ofFlow(flowId, limit);
    }

    /**
     * Lets journeys start on a stopped flow again; a 409 while its journeys are still being cancelled, since journeys
     * started meanwhile would be cancelled with them.
     */
    public FlowVersion resume(UUID flowId) {
        return transactions.execute(tx -> {
            // The flow's row is updated first: that waits for a stop under way, whose cancellation is then seen.
            FlowVersion resumed = flows.resume(flowId);
            cancellations.runningOf(flowId).ifPresent(running -> {
                throw new ApiException(HttpStatus.CONFLICT, "flow_cancelling", "The journeys of flow " + resumed.name()
                        + " are still being cancelled (" + running.cancelledJourneys() + " so far, GET /api/v1/cancellations/"
                        + running.id() + "): resume it once that says DONE");
            });
            return resumed;
        });
    }

    /** A journey cancelled through the API, and how many of its queued messages were withdrawn with it. */
    @Schema(name = "JourneyCancelled")
    public record Cancelled(Journey journey, int withdrawnMessages) {}

    /** The longest reason a cancellation may give: it is kept as the outcome of the step the journey was at. */
    public static final int MAX_CANCEL_REASON = 500;

    /**
     * Cancels one journey under way (the order it follows was cancelled, the customer asked a person instead): as a
     * flow stopped with its journeys, it takes no further step, a status or reply that comes for it later moves
     * nothing, and the messages it queued that no provider has taken yet are withdrawn. {@code reason}, optional, is
     * kept with the step it was at. A journey cancelled before is answered as it is; one that ended or failed is a 409.
     */
    public Cancelled cancel(UUID id, String reason) {
        String why = cancelledThroughTheApi(reason);
        Cancelled cancelled = transactions.execute(tx -> {
            Journey journey = get(id);
            List<UUID> ids = store.cancel(List.of(journey.id()), why);
            if (ids.isEmpty()) {
                Journey now = get(id);
                if (!Journey.CANCELLED.equals(now.state())) {
                    throw new ApiException(HttpStatus.CONFLICT, "journey_over", "Journey " + id + " is "
                            + now.state().toLowerCase(Locale.ROOT) + ": only a running or waiting journey can be cancelled");
                }
                return new Cancelled(now, 0);
            }
            return new Cancelled(get(id), messages.withdraw(store.messagesOf(ids), why).size());
        });
        log.info("Cancelled journey {} through the API, withdrew {} of its queued messages", id, cancelled.withdrawnMessages());
        return cancelled;
    }

    /** A contact's journeys cancelled through the API, and how many of their queued messages were withdrawn with them. */
    public record ContactCancelled(UUID contactId, List<UUID> cancelledJourneys, int withdrawnMessages) {}

    /**
     * Cancels every journey of one contact (named by {@code to} or {@code contactId}) under way at this moment, in
     * every flow or in one ({@code flowId}, all of its versions): as {@link #cancel} does one. A contact with none
     * under way is answered with none.
     */
    public ContactCancelled cancelOfContact(String to, String contactId, UUID flowId, String reason) {
        String why = cancelledThroughTheApi(reason);
        UUID contact = recipients.resolveId(to, contactId);
        List<UUID> versions = flowId == null ? null : flows.versions(flowId).stream().map(FlowVersion::id).toList();
        ContactCancelled cancelled = cancelUnderWay(contact, versions, why);
        log.info("Cancelled {} journeys of contact {} through the API, withdrew {} of their queued messages",
                cancelled.cancelledJourneys().size(), contact, cancelled.withdrawnMessages());
        return cancelled;
    }

    /**
     * Cancels the contact's journeys under way (in these versions only, unless null) and withdraws their messages, in
     * the caller's transaction when there is one.
     */
    ContactCancelled cancelUnderWay(UUID contact, List<UUID> versions, String why) {
        return transactions.execute(tx -> {
            List<UUID> ids = store.cancel(store.underWay(contact, versions), why);
            return new ContactCancelled(contact, ids, ids.isEmpty() ? 0 : messages.withdraw(store.messagesOf(ids), why).size());
        });
    }

    private static String cancelledThroughTheApi(String reason) {
        if (reason != null && (reason.isBlank() || reason.length() > MAX_CANCEL_REASON)) {
            throw ApiException.invalidField("reason", "must be 1 to " + MAX_CANCEL_REASON + " characters");
        }
        return "cancelled through the API" + (reason == null ? "" : ": " + reason);
    }

    /** The contacts an audience takes: its activity bounds count back from {@code now}, the launch's instant. */
    static Contacts.AudienceFilter audienceFilter(FlowDocument.Audience audience, Instant now) {
        if (audience == null) {
            return new Contacts.AudienceFilter(null, null, null, null, null, null);
        }
        return new Contacts.AudienceFilter(audience.tags(), audience.attributes(),
                audience.consent() == null ? null : MessageCategory.parse(audience.consent()).orElse(null),
                audience.activeWithin() == null ? null : now.minus(FlowDurations.parse(audience.activeWithin())),
                audience.inactiveFor() == null ? null : now.minus(FlowDurations.parse(audience.inactiveFor())),
                audience.excludeTags());
    }

    /** A start's or an event's idempotency key: it is kept with the flow's id and the event's name (300 in all). */
    private static void checkKey(String key) {
        if (key != null && (key.isBlank() || key.length() > MAX_KEY)) {
            throw ApiException.invalidField("key", "must be 1 to " + MAX_KEY + " characters");
        }
    }

    static final int MAX_KEY = 150;

    /** Most variables a start, or properties an event, may give: a journey's variables are rewritten at its steps. */
    static final int MAX_GIVEN = 200;
    static final int MAX_GIVEN_NAME = 100;
    /** As long as a contact's attribute value may be: what placeholders put into a message. */
    static final int MAX_GIVEN_VALUE = 4000;

    /** Refuses more variables (or properties) than a journey keeps, a name too long, or a value too long, naming it. */
    private static void checkGiven(String field, Map<String, String> given) {
        if (given == null) {
            return;
        }
        if (given.size() > MAX_GIVEN) {
            throw ApiException.invalidField(field, "at most " + MAX_GIVEN + " names, not " + given.size());
        }
        given.forEach((name, value) -> {
            if (name.length() > MAX_GIVEN_NAME) {
                throw ApiException.invalidField(field + "." + Texts.clip(name, 40),
                        "a name is at most " + MAX_GIVEN_NAME + " characters");
            }
            if (value != null && value.length() > MAX_GIVEN_VALUE) {
                throw ApiException.invalidField(field + "." + name, "is longer than " + MAX_GIVEN_VALUE + " characters");
            }
        });
    }

    /** A journey's first variables: the flow document's {@code variables} (defaults), then what its start gives. */
    private Map<String, String> startVariables(FlowVersion version, Map<String, String> given) {
        return startVariables(flows.document(version.id()), given);
    }

    /** A journey's first variables: the document's {@code variables} (defaults), then what its start gives. */
    static Map<String, String> startVariables(FlowDocument document, Map<String, String> given) {
        Map<String, String> defaults = document.variables();
        Map<String, String> variables = new LinkedHashMap<>(defaults == null ? Map.of() : defaults);
        variables.putAll(given);
        return variables;
    }

    /** Starts a journey, or finds the one this entry key started; empty when the flow was stopped meanwhile. */
    private Optional<Started> begin(FlowVersion version, UUID contactId, String entryKey, Map<String, String> given) {
        String start = flows.document(version.id()).start();
        Map<String, String> variables = startVariables(version, given);
        AtomicBoolean stopped = new AtomicBoolean();
        Optional<UUID> created = transactions.execute(tx -> {
            Optional<UUID> inserted = store.insert(version.id(), contactId, entryKey, start, variables, true);
            if (inserted.isPresent() && flows.isStopped(version.flowId())) {
                stopped.set(true);
                tx.setRollbackOnly(); // the flow was stopped while this start was under way (see Flows.stop)
                return Optional.<UUID>empty();
            }
            return inserted;
        });
        if (stopped.get()) {
            return Optional.empty();
        }
        if (created != null && created.isPresent()) {
            engine.wake();
            return Optional.of(new Started(created.get(), version.id(), false));
        }
        // The journey this key started may be on an earlier version than the one being started now.
        return Optional.of(replayed(entryKey, contactId).orElseThrow(() -> new ApiException(HttpStatus.CONFLICT, "conflict",
                "A journey with this key exists but cannot be read")));
    }

    public Journey get(UUID id) {
        return store.find(id).orElseThrow(() -> ApiException.notFound("Journey", id));
    }

    /** Up to {@code limit} steps of the journey's path, those after the step numbered {@code afterSeq}, in order. */
    public List<JourneyStep> path(UUID id, int afterSeq, int limit) {
        get(id);
        return store.path(id, afterSeq, limit);
    }

    /**
     * Which of a flow's journeys a page lists: those in one {@code state} (running, waiting, ended, failed, cancelled),
     * on one {@code version} (its number), whose current {@code step} is one (a heatmap's step, drilled into); null
     * for any.
     */
    public record FlowJourneys(String state, Integer version, String step) {}

    /**
     * A page of a flow's journeys, oldest first: all of them or those {@code filter} names, after the journey
     * {@code after} when it is given (the previous page's last). A version the flow does not have, or a step none of
     * the versions looked at has, is refused naming those there are: a misspelt step would otherwise list no one.
     */
    public List<Journey> ofFlow(UUID flowId, FlowJourneys filter, UUID after, int limit, int offset) {
        checkState(filter.state());
        List<FlowVersion> all = flows.versions(flowId);
        List<FlowVersion> chosen = all;
        if (filter.version() != null) {
            chosen = all.stream().filter(v -> v.version() == filter.version()).toList();
            if (chosen.isEmpty()) {
                throw ApiException.invalidField("version", "this flow has no version " + filter.version() + " (it has "
                        + (all.size() == 1 ? "version 1" : "versions 1 to " + all.getLast().version()) + ")");
            }
        }
        if (filter.step() != null) {
            checkStep(filter.step(), chosen, filter.version() != null);
        }
        List<UUID> versions = chosen.stream().map(FlowVersion::id).toList();
        Journey cursor = null;
        if (after != null) {
            cursor = store.find(after).filter(journey -> versions.contains(journey.flowVersionId()))
                    .orElseThrow(() -> ApiException.invalidField("after", "no journey " + after + " in this flow"
                            + (filter.version() == null ? "" : "'s version " + filter.version())));
        }
        return store.ofVersions(versions, filter.state(), filter.step(), cursor, limit, offset);
    }

    private void checkStep(String step, List<FlowVersion> versions, boolean oneVersion) {
        Set<String> steps = new LinkedHashSet<>();
        for (FlowVersion version : versions) {
            for (FlowStep declared : flows.document(version.id()).steps()) {
                steps.add(declared.id());
            }
        }
        if (!steps.contains(step)) {
            throw ApiException.invalidField("step", "no step '" + Texts.clip(step, 100) + "' in "
                    + (oneVersion ? "this version" : "any version of this flow") + " (its steps: "
                    + Texts.clip(String.join(", ", steps), 1000) + ")");
        }
    }

    /** The contact of the phone number {@code to} (either it or {@code contactId}); a 404 when no contact has it. */
    public UUID contactOf(String to, String contactId) {
        return recipients.resolveId(to, contactId);
    }

    /**
     * A page of a contact's journeys in every flow, newest first: all of them or those in one {@code state}, after the
     * journey {@code after} when it is given (the previous page's last); what a contact is going through, for whoever
     * answers its questions.
     */
    public List<Journey> ofContact(UUID contactId, String state, UUID after, int limit) {
        checkState(state);
        if (!contacts.known(contactId)) {
            throw ApiException.notFound("Contact", contactId);
        }
        Journey cursor = null;
        if (after != null) {
            cursor = store.find(after).filter(journey -> journey.contactId().equals(contactId))
                    .orElseThrow(() -> ApiException.invalidField("after", "no journey " + after + " of this contact"));
        }
        return store.ofContact(contactId, state, cursor, limit);
    }

    private static void checkState(String state) {
        if (state != null && !Journey.STATES.contains(state.toUpperCase(Locale.ROOT))) {
            throw ApiException.invalidField("state", "must be one of running, waiting, ended, failed, cancelled");
        }
    }

    /**
     * A version's live counts, with every step of its document in document order and every branch a step declares,
     * at zero until a journey comes there: a heatmap draws the whole flow, not only where journeys went. Counts of
     * 10,000 journeys or more that took 0.1 s or more to count are answered again for four times as long.
     */
    public FlowCounts counts(UUID versionId) {
        flows.version(versionId);
        FlowCounts counted = keptCounts.get(versionId, () -> store.counts(versionId));
        Map<String, FlowCounts.StepCounts> steps = new LinkedHashMap<>();
        for (FlowStep step : flows.document(versionId).steps()) {
            FlowCounts.StepCounts found = counted.steps().getOrDefault(step.id(), new FlowCounts.StepCounts(0, 0, Map.of()));
            Map<String, Long> branches = new LinkedHashMap<>();
            if (step.branches() != null) {
                step.branches().keySet().forEach(branch -> branches.put(branch, 0L));
            }
            branches.putAll(found.branches());
            steps.put(step.id(), new FlowCounts.StepCounts(found.entered(), found.waiting(), branches));
        }
        return new FlowCounts(versionId, steps, counted.running(), counted.waiting(), counted.ended(), counted.failed(),
                counted.cancelled());
    }
}

package io.reach.flow;

import io.reach.sender.Senders;
import io.reach.shared.ApiException;
import io.reach.shared.Dialect;
import io.reach.shared.Ids;
import io.reach.shared.JsonProblem;
import io.reach.shared.TextWithoutNul;
import io.reach.shared.Texts;
import io.reach.shared.Times;
import io.reach.template.Template;
import io.reach.template.TemplateParameters;
import io.reach.template.Templates;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.commons.text.similarity.LevenshteinDistance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The flow feature's API: import and validate flow documents, keep their versions (drafts are editable,
 * publishing freezes one) and give back the exact document of any version.
 */
@Service
public class Flows {

    private static final Logger log = LoggerFactory.getLogger(Flows.class);

    /** A condition on a version {@code v}: it is its flow's newest published one (its parameter: FlowVersion.PUBLISHED). */
    private static final String NEWEST_PUBLISHED = " AND v.version = (SELECT MAX(version) FROM flow_versions w"
            + " WHERE w.flow_id = v.flow_id AND w.status = ?)";
    private static final String COLUMNS = "v.id, v.flow_id, f.name, v.version, v.status, v.entry_type, v.entry_event,"
            + " v.created_at, v.updated_at, v.published_at, f.stopped_at, v.document";
    /** A version's columns without its document, for reads that answer or look up versions (an event's, a list's). */
    private static final String SUMMARY = COLUMNS.replace("v.document", "NULL AS document");

    private final JdbcClient jdbc;
    private final Dialect dialect;
    private final Clock clock;
    private final TransactionTemplate transactions;
    private final JsonMapper strict;
    // A client's document: its text may not hold the NUL character, which PostgreSQL cannot store.
    private final JsonMapper incoming;
    // A document as it is imported or checked: a key written twice in one object (a step's second "next", pasted in)
    // is refused rather than taken as its last. Documents stored before keep being read by incoming.
    private final JsonMapper written;
    private final FlowValidator validator;
    private final Senders senders;
    private final Templates templates;
    private final ApplicationEventPublisher events;
    // Published versions never change, so their parsed documents can be kept, and the ids of the senders they name.
    private final Map<UUID, FlowDocument> published = new ConcurrentHashMap<>();
    private final Map<UUID, Map<String, String>> senderIds = new ConcurrentHashMap<>();
    private static final TypeReference<Map<String, String>> SENDER_IDS =
            new TypeReference<>() {};

    Flows(JdbcClient jdbc, Dialect dialect, Clock clock, TransactionTemplate transactions, JsonMapper json,
          Templates templates, Senders senders, FetchHosts fetchHosts,
          ApplicationEventPublisher events) {
        this.events = events;
        this.jdbc = jdbc;
        this.dialect = dialect;
        this.clock = clock;
        this.transactions = transactions;
        this.strict = json.rebuild().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
        this.incoming = strict.rebuild().addModule(TextWithoutNul.module()).build();
        this.written = incoming.rebuild().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
        this.senders = senders;
        this.templates = templates;
        this.validator = new FlowValidator(new FlowValidator.TemplateCheck() {
            @Override
            public Optional<List<String>> problems(String sender, String name, String language, TemplateParameters parameters) {
                return templates.find(wabaOf(sender), name, language).map(template -> Templates.checkShape(template, parameters).stream()
                        .map(problem -> problem.field() + ": " + problem.message()).toList());
            }

            @Override
            public List<String> languagesOf(String name) {
                return templates.languagesOf(name);
            }

            @Override
            public Optional<Template> template(String sender, String name, String language) {
                return templates.find(wabaOf(sender), name, language);
            }

            @Override
            public Optional<String> otherAccountOf(String sender, String name, String language) {
                String account = wabaOf(sender);
                return account == null ? Optional.empty() : templates.find(account, name, language)
                        .map(Template::wabaId).filter(owner -> !owner.equals(account));
            }

            /** The account whose templates a sender (a name or id) sends: none known, any account's. */
            private String wabaOf(String sender) {
                return sender == null ? null : senders.resolve(sender).map(account -> account.sender().wabaId()).orElse(null);
            }
        }, senders::channelOfSender, fetchHosts);
    }

    /**
     * Parses a document, refusing one that is not JSON of the flow shape with a 400 that says where: the path in
     * the document, and the id of the step it is in (an unknown field, text where a list goes).
     */
    public FlowDocument parse(String document) {
        return read(document, incoming);
    }

    private FlowDocument read(String document, JsonMapper mapper) {
        JsonNode tree;
        try {
            tree = mapper.readTree(document);
        } catch (JacksonException e) {
            throw refused(null, JsonProblem.of(e));
        }
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            throw new ApiException(HttpStatus.BAD_REQUEST, "invalid_flow", "The flow document is empty");
        }
        try {
            return mapper.treeToValue(tree, FlowDocument.class);
        } catch (JacksonException e) {
            int index = JsonProblem.indexUnder(e, "steps");
            String step = index < 0 ? null : tree.path("steps").path(index).path("id").asString(null);
            throw refused(step, JsonProblem.of(e));
        }
    }

    private static ApiException refused(String step, JsonProblem problem) {
        String message = "The flow document is not of the flow shape: " + problem.describe();
        return ApiException.badRequest("invalid_flow", (step == null ? "" : "step " + step + ": ") + message,
                List.of(new FlowProblem(step, message)));
    }

    /**
     * A document's problems and, when it has none, its warnings: what will not stop it from being published but will
     * keep some of its sends from going out (a template not approved, a free-form text before the contact wrote).
     */
    public record Validation(List<FlowProblem> problems, List<FlowProblem> warnings) {}

    /** The templates a version's document sends that Meta has not approved, as they are now (a warning of {@link Validation}). */
    public List<FlowProblem> unapprovedTemplates(UUID versionId) {
        return validator.unapprovedTemplates(document(versionId));
    }

    /** The version, with the warnings of its document (see {@link Validation}) as they are now. */
    FlowVersion withWarnings(FlowVersion version) {
        return version.withWarnings(validator.warnings(parse(version.document())));
    }

    /** See {@link Validation}. */
    public Validation validate(String document) {
        FlowDocument flow = read(document, written);
        List<FlowProblem> problems = new ArrayList<>(validator.check(flow));
        // As the import would refuse it: a new flow's name in the form of an id (one that has it keeps it).
        if (flow.name() != null && Ids.ifId(flow.name()).isPresent() && byName(flow.name()).isEmpty()) {
            problems.addFirst(new FlowProblem(null, NAME_LIKE_AN_ID));
        }
        return new Validation(problems, problems.isEmpty() ? validator.warnings(flow) : List.of());
    }

    private static final String NAME_LIKE_AN_ID = "name: a new flow's name must not be in the form of an id: the API, which"
            + " takes a flow's id or name, would take it for an id";

    /** Imports a document as a new flow's first draft, or as the draft of the flow with that name. */
    public FlowVersion importDocument(String document) {
        FlowDocument flow = checked(document);
        return transactions.execute(tx -> {
            // The flow's row, locked, as an edit or a publish takes it: imports of one name at once take turns, and
            // the first of them creates the flow (the others wait for it, then find it) instead of failing.
            Optional<UUID> existing = lockByName(flow.name());
            if (existing.isEmpty()) {
                if (Ids.ifId(flow.name()).isPresent()) {
                    // The API takes a flow's id or name in its paths: such a flow would be reached by its id only.
                    throw ApiException.badRequest("invalid_flow", NAME_LIKE_AN_ID, List.of(new FlowProblem(null, NAME_LIKE_AN_ID)));
                }
                dialect.insertUnlessDuplicate(jdbc, "INSERT INTO flows (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                        "name", Ids.newId(), flow.name(), Times.now(clock), Times.now(clock));
                existing = lockByName(flow.name());
            }
            return saveDraft(existing.orElseThrow(), flow, document);
        });
    }

    private Optional<UUID> byName(String name) {
        return jdbc.sql("SELECT id FROM flows WHERE name = ?").param(name).query(UUID.class).optional();
    }

    private Optional<UUID> lockByName(String name) {
        return jdbc.sql("SELECT id FROM flows WHERE name = ? FOR UPDATE").param(name).query(UUID.class).optional();
    }

    /** Replaces a flow's draft (or starts a new one after the latest published version). */
    public FlowVersion updateDraft(UUID flowId, String document) {
        FlowDocument flow = checked(document);
        return transactions.execute(tx -> {
            String name = jdbc.sql("SELECT name FROM flows WHERE id = ? FOR UPDATE").param(flowId).query(String.class).optional()
                    .orElseThrow(() -> noSuchFlow("Flow", flowId));
            if (!name.equals(flow.name())) {
                throw ApiException.invalidField("name", "the document is named '" + flow.name() + "' but the flow is '" + name + "'");
            }
            return saveDraft(flowId, flow, document);
        });
    }

    private FlowVersion saveDraft(UUID flowId, FlowDocument flow, String document) {
        Optional<FlowVersion> latest = latest(flowId);
        Instant now = clock.instant();
        if (latest.isPresent() && !latest.get().isPublished()) {
            jdbc.sql("UPDATE flow_versions SET document = ?, entry_type = ?, entry_event = ?, updated_at = ? WHERE id = ?")
                    .params(document, flow.entry().type(), flow.entry().event(), Times.utc(now), latest.get().id()).update();
            keepExitEvents(latest.get().id(), flow);
            return version(latest.get().id());
        }
        UUID id = Ids.newId();
        int number = latest.map(v -> v.version() + 1).orElse(1);
        jdbc.sql("INSERT INTO flow_versions (id, flow_id, version, status, document, entry_type, entry_event, created_at,"
                        + " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .params(id, flowId, number, FlowVersion.DRAFT, document, flow.entry().type(), flow.entry().event(),
                        Times.utc(now), Times.utc(now))
                .update();
        keepExitEvents(id, flow);
        jdbc.sql("UPDATE flows SET updated_at = ? WHERE id = ?").params(Times.utc(now), flowId).update();
        return version(id);
    }

    /**
     * Discards the flow's draft (nothing ran on a draft), leaving its version published last as the flow's newest; the
     * next draft takes the discarded one's number. A flow without a draft, or whose draft is all it has (deleted with
     * {@link #delete} instead), is a 409. Answers the flow as it is now.
     */
    public FlowVersion discardDraft(UUID flowId) {
        FlowVersion kept = transactions.execute(tx -> {
            String name = jdbc.sql("SELECT name FROM flows WHERE id = ? FOR UPDATE").param(flowId).query(String.class)
                    .optional().orElseThrow(() -> noSuchFlow("Flow", flowId));
            FlowVersion draft = latest(flowId, SUMMARY).filter(v -> !v.isPublished()).orElseThrow(() -> new ApiException(
                    HttpStatus.CONFLICT, "no_draft", "Flow " + name + " has no draft to discard"));
            if (draft.version() == 1) {
                throw new ApiException(HttpStatus.CONFLICT, "draft_only", "Flow " + name + " has"
                        + " its draft only: delete the flow instead (DELETE /api/v1/flows/" + flowId + ")");
            }
            jdbc.sql("DELETE FROM flow_exit_events WHERE flow_version_id = ?").param(draft.id()).update();
            jdbc.sql("DELETE FROM flow_versions WHERE id = ?").param(draft.id()).update();
            jdbc.sql("UPDATE flows SET updated_at = ? WHERE id = ?").params(Times.now(clock), flowId).update();
            return latestVersion(flowId);
        });
        log.info("Discarded the draft of flow {}: version {} is its newest", kept.name(), kept.version());
        return kept;
    }

    /** Freezes the flow's draft: journeys can start on it from now on. It is checked again (templates may have gone). */
    public FlowVersion publish(UUID flowId) {
        return transactions.execute(tx -> {
            jdbc.sql("SELECT id FROM flows WHERE id = ? FOR UPDATE").param(flowId).query(UUID.class).optional()
                    .orElseThrow(() -> noSuchFlow("Flow", flowId));
            FlowVersion newest = latest(flowId).orElseThrow(() -> noSuchFlow("Flow", flowId));
            if (newest.isPublished()) {
                throw new ApiException(HttpStatus.CONFLICT, "no_draft", "Flow " + newest.name() + " has no draft to"
                        + " publish: its newest version, " + newest.version() + ", is published (import or PUT its draft first)");
            }
            FlowVersion draft = newest;
            FlowDocument document = parse(draft.document());
            // Before the check finds them: a template deleted meanwhile is either missed by the check or kept.
            (document.steps() == null ? List.<FlowStep>of() : document.steps()).stream()
                    .filter(step -> step != null && step.template() != null && step.language() != null)
                    .map(step -> Map.entry(step.template(), step.language())).distinct()
                    .sorted(Map.Entry.<String, String>comparingByKey().thenComparing(Map.Entry.comparingByValue()))
                    .forEach(template -> templates.holdForPublish(template.getKey(), template.getValue()));
            // The senders as they are named now: a rename afterwards must not leave this version's journeys without
            // one. Held as a sender's deletion holds it, and read from the database, not a node's snapshot: a sender
            // deleted meanwhile is either kept (named here first) or found missing here.
            List<FlowStep> sending = (document.steps() == null ? List.<FlowStep>of() : document.steps()).stream()
                    .filter(step -> step != null && step.sender() != null && !step.sender().isBlank()).toList();
            Map<String, String> senderIds = new TreeMap<>();
            senders.holdForPublish(sending.stream().map(FlowStep::sender).distinct().toList())
                    .forEach((sender, id) -> senderIds.put(sender, id.toString()));
            checked(document);
            sending.stream().filter(step -> !senderIds.containsKey(step.sender())).findFirst().ifPresent(step -> {
                throw ApiException.badRequest("invalid_flow", "step " + step.id() + ": missing sender: " + step.sender()
                        + " is not registered (it was deleted just now)",
                        List.of(new FlowProblem(step.id(), "missing sender: " + step.sender() + " is not registered")));
            });
            jdbc.sql("UPDATE flow_versions SET status = ?, published_at = ?, updated_at = ?, sender_ids = ? WHERE id = ?")
                    .params(FlowVersion.PUBLISHED, Times.now(clock), Times.now(clock), strict.writeValueAsString(senderIds),
                            draft.id()).update();
            return version(draft.id());
        });
    }

    /**
     * Deletes a flow that was never published: its drafts alone (no journey, launch or report row can be on a draft),
     * so that flows tried and given up do not stay in the list. One with a published version is a 409: it is stopped
     * instead, and its journeys, counts and reports keep it. Its row is locked as an edit, an import or a publish
     * locks it: a publish at the same moment either comes first (and the flow stays) or finds no flow.
     */
    public void delete(UUID flowId) {
        String name = transactions.execute(tx -> {
            String locked = jdbc.sql("SELECT name FROM flows WHERE id = ? FOR UPDATE").param(flowId).query(String.class)
                    .optional().orElseThrow(() -> noSuchFlow("Flow", flowId));
            long published = jdbc.sql("SELECT COUNT(*) FROM flow_versions WHERE flow_id = ? AND status = ?")
                    .params(flowId, FlowVersion.PUBLISHED).query(Long.class).single();
            if (published > 0) {
                throw new ApiException(HttpStatus.CONFLICT, "flow_published", "Flow " + locked
                        + " has " + (published == 1 ? "a published version" : published + " published versions")
                        + ", which journeys may have run: stop it instead (POST /api/v1/flows/" + flowId + "/stop);"
                        + " its journeys, counts and reports stay");
            }
            jdbc.sql("DELETE FROM flow_exit_events WHERE flow_version_id IN (SELECT id FROM flow_versions WHERE flow_id = ?)")
                    .param(flowId).update();
            jdbc.sql("DELETE FROM flow_versions WHERE flow_id = ?").param(flowId).update();
            // A stop that cancelled its (no) journeys was recorded by the journeys' feature.
            events.publishEvent(new FlowDeleted(flowId));
            jdbc.sql("DELETE FROM flows WHERE id = ?").param(flowId).update();
            return locked;
        });
        log.info("Deleted flow {} ({}), which was never published", name, flowId);
    }

    /**
     * The flow {@code idOrName} names: its id, or its name (as a backend's settings are likely to hold it, and as an
     * import finds the flow it replaces the draft of); a 404 for a name no flow has. A name in the form of an id is
     * taken as an id, whose flow the caller reads as before.
     */
    public UUID idOf(String idOrName) {
        Optional<UUID> id = Ids.ifId(idOrName);
        if (id.isPresent()) {
            return id.get();
        }
        return byName(idOrName)
                .orElseThrow(() -> new ApiException(HttpStatus.NOT_FOUND, "not_found",
                        "No flow has the id or name '" + Texts.clip(idOrName, 200) + "'"));
    }

    /** A flow's versions, oldest first; a 404 for a flow that does not exist (every flow has a version). */
    public List<FlowVersion> versions(UUID flowId) {
        List<FlowVersion> versions = jdbc.sql("SELECT " + SUMMARY + " FROM flow_versions v JOIN flows f ON f.id = v.flow_id"
                + " WHERE v.flow_id = ? ORDER BY v.version").param(flowId).query(this::row).list();
        if (versions.isEmpty()) {
            throw noSuchFlow("Flow", flowId);
        }
        return versions;
    }

    /**
     * A page of the flows in the order of their names, each as its newest version (without its document): the first
     * {@code limit}, or those after the flow named {@code after} (the previous page's last).
     */
    public List<FlowVersion> latestVersions(String after, int limit) {
        return jdbc.sql("SELECT " + SUMMARY + " FROM flows f JOIN flow_versions v ON v.flow_id = f.id"
                        + " WHERE v.version = (SELECT MAX(version) FROM flow_versions w WHERE w.flow_id = f.id)"
                        + (after == null ? "" : " AND f.name > ?") + " ORDER BY f.name LIMIT ?")
                .params(after == null ? List.of(limit) : List.of(after, limit))
                .query(this::row).list();
    }

    /** A flow's newest version (a draft, or the last one published), without its document; a 404 for no such flow. */
    public FlowVersion latestVersion(UUID flowId) {
        return latest(flowId, SUMMARY).orElseThrow(() -> noSuchFlow("Flow", flowId));
    }

    public FlowVersion version(UUID versionId) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM flow_versions v JOIN flows f ON f.id = v.flow_id WHERE v.id = ?")
                .param(versionId).query(this::row).optional().orElseThrow(() -> ApiException.notFound("Flow version", versionId));
    }

    /**
     * A 404 for a flow id that names no flow. An import's answer gives the version's {@code id} before the flow's
     * {@code flowId}, and a first request with it said only that no such flow exists: the answer says what it is.
     */
    private ApiException noSuchFlow(String what, UUID flowId) {
        return jdbc.sql("SELECT v.version, f.id, f.name FROM flow_versions v JOIN flows f ON f.id = v.flow_id WHERE v.id = ?")
                .param(flowId)
                .query((rs, row) -> new ApiException(HttpStatus.NOT_FOUND, "not_found", flowId + " is the id of version "
                        + rs.getInt(1) + " of flow '" + rs.getString(3) + "', not of a flow: use the flow's id ("
                        + rs.getObject(2, UUID.class) + ", its flowId) or its name"))
                .optional().orElseGet(() -> ApiException.notFound(what, flowId));
    }

    public FlowVersion version(UUID flowId, int number) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM flow_versions v JOIN flows f ON f.id = v.flow_id"
                        + " WHERE v.flow_id = ? AND v.version = ?")
                .params(flowId, number).query(this::row).optional()
                .orElseThrow(() -> noSuchFlow("Version " + number + " of flow", flowId));
    }

    /**
     * Stops a flow: no journey starts on it until it is resumed (events skip it, API starts and launches are refused).
     * Stopping a stopped flow changes nothing. Its journeys under way are the caller's to cancel or leave.
     */
    public FlowVersion stop(UUID flowId) {
        Instant now = clock.instant();
        transactions.executeWithoutResult(tx -> {
            // A journey's insert holds its version's row (its foreign key) until it commits on PostgreSQL, and looks
            // at the flow after it (isStopped), with a lock on H2, whose foreign keys hold nothing: locking the rows
            // waits for the starts under way and holds back new ones until the stop commits, so that each start either
            // comes before the stop, or sees it and starts nothing.
            // The flow's row first, as an edit, a publish or a resume takes it: taken after its versions' rows, it
            // deadlocked with a publish at the same moment (which holds it and updates a version).
            jdbc.sql("SELECT id FROM flows WHERE id = ? FOR UPDATE").param(flowId).query(UUID.class).list();
            jdbc.sql("SELECT id FROM flow_versions WHERE flow_id = ? FOR UPDATE").param(flowId).query(UUID.class).list();
            jdbc.sql("UPDATE flows SET stopped_at = ?, updated_at = ? WHERE id = ? AND stopped_at IS NULL")
                    .params(Times.utc(now), Times.utc(now), flowId).update();
        });
        return versions(flowId).getLast();
    }

    /**
     * Whether the flow is stopped, as of now: called in a start's transaction after its journey's insert (see
     * {@link #stop}), a start that finds it stopped rolls back. On H2 it locks the flow's row until that transaction
     * ends, so that a stop under way is waited for, and a stop waits for the start (starts of one flow then take
     * turns at their commits).
     */
    public boolean isStopped(UUID flowId) {
        return jdbc.sql("SELECT stopped_at FROM flows WHERE id = ?" + dialect.lockWhereForeignKeyChecksDoNot()).param(flowId)
                .query((rs, n) -> rs.getObject(1) != null).optional().orElse(false);
    }

    /** Lets journeys start on a stopped flow again (in the caller's transaction, if there is one). */
    public FlowVersion resume(UUID flowId) {
        jdbc.sql("UPDATE flows SET stopped_at = NULL, updated_at = ? WHERE id = ?").params(Times.now(clock), flowId).update();
        return versions(flowId).getLast();
    }

    /** The newest published version of a flow, which new journeys start on; a 409 when the flow is stopped. */
    public FlowVersion latestPublished(UUID flowId) {
        FlowVersion version = jdbc.sql("SELECT " + SUMMARY + " FROM flow_versions v JOIN flows f ON f.id = v.flow_id"
                        + " WHERE v.flow_id = ? AND v.status = ? ORDER BY v.version DESC LIMIT 1")
                .params(flowId, FlowVersion.PUBLISHED).query(this::row).optional()
                .orElseThrow(() -> {
                    versions(flowId); // a 404 for a flow that does not exist
                    return new ApiException(HttpStatus.CONFLICT, "not_published",
                            "Flow " + flowId + " has no published version: publish it first");
                });
        if (version.stoppedAt() != null) {
            throw new ApiException(HttpStatus.CONFLICT, "flow_stopped", "Flow " + version.name() + " was stopped at "
                    + version.stoppedAt() + ": resume it first (POST /api/v1/flows/" + flowId + "/resume)");
        }
        return version;
    }

    /** The versions whose document lists {@code event} in its {@code exitOn}: their journeys leave on it. */
    public List<UUID> exitedBy(String event) {
        return jdbc.sql("SELECT flow_version_id FROM flow_exit_events WHERE event = ?").param(event).query(UUID.class).list();
    }

    private void keepExitEvents(UUID versionId, FlowDocument flow) {
        jdbc.sql("DELETE FROM flow_exit_events WHERE flow_version_id = ?").param(versionId).update();
        for (String event : flow.exitOn() == null ? List.<String>of() : flow.exitOn()) {
            jdbc.sql("INSERT INTO flow_exit_events (event, flow_version_id) VALUES (?, ?)").params(event, versionId).update();
        }
    }

    /**
     * The newest published versions of the flows an event of this name starts; a stopped flow's among them (its
     * {@code stoppedAt} set), which starts nothing but still answers a repeated event with the journey it started.
     */
    public List<FlowVersion> startedBy(String event) {
        return jdbc.sql("SELECT " + SUMMARY + " FROM flow_versions v JOIN flows f ON f.id = v.flow_id"
                        + " WHERE v.entry_type = 'event' AND v.entry_event = ? AND v.status = ?"
                        + NEWEST_PUBLISHED)
                .params(event, FlowVersion.PUBLISHED, FlowVersion.PUBLISHED).query(this::row).list();
    }

    /**
     * Why an event of this name started no journey, for the backend that posted it (a misspelt name or an unpublished
     * flow otherwise goes unnoticed): the flows that start on it are stopped, or one starts on it only in a draft, or
     * none does, with the events the published flows do start on. {@code starting} is {@link #startedBy}'s answer.
     */
    public String whyNoJourneyStarts(String event, List<FlowVersion> starting) {
        if (!starting.isEmpty()) {
            return starting.stream().map(version -> "flow " + version.name() + " starts on event " + event
                    + " but is stopped (POST /api/v1/flows/" + version.flowId() + "/resume starts journeys again)")
                    .collect(Collectors.joining("; "));
        }
        List<FlowVersion> drafts = jdbc.sql("SELECT " + SUMMARY + " FROM flow_versions v JOIN flows f ON f.id = v.flow_id"
                        + " WHERE v.entry_type = 'event' AND v.entry_event = ? AND v.status = ? ORDER BY f.name")
                .params(event, FlowVersion.DRAFT).query(this::row).list();
        if (!drafts.isEmpty()) {
            return drafts.stream().map(draft -> "flow " + draft.name() + " starts on event " + event + " only in its draft"
                    + " (version " + draft.version() + "): POST /api/v1/flows/" + draft.flowId() + "/publish to start it")
                    .collect(Collectors.joining("; "));
        }
        List<String> events = jdbc.sql("SELECT DISTINCT v.entry_event FROM flow_versions v"
                        + " WHERE v.entry_type = 'event' AND v.status = ?"
                        + NEWEST_PUBLISHED)
                .params(FlowVersion.PUBLISHED, FlowVersion.PUBLISHED).query(String.class).list();
        if (events.isEmpty()) {
            return "no published flow starts on event " + event + ", nor on any other event";
        }
        // No flow's event is longer than 100 characters: a longer name is measured against none (it costs its length).
        Map<String, Integer> distances = new HashMap<>();
        var levenshtein = LevenshteinDistance.getDefaultInstance();
        events.forEach(e -> distances.put(e, event.length() > 100 ? Integer.MAX_VALUE : levenshtein.apply(e, event)));
        List<String> closest = events.stream().sorted(Comparator.<String>comparingInt(distances::get)
                .thenComparing(Comparator.naturalOrder())).limit(10).toList();
        String nearest = closest.getFirst();
        // A name this close is a typo more likely than another event.
        boolean typo = distances.get(nearest) <= Math.max(2, event.length() / 4);
        return "no published flow starts on event " + event + (typo ? ": did you mean " + nearest + "?" : "")
                + " (" + (events.size() > closest.size() ? "the closest of the " + events.size() + " events published"
                + " flows start on: " : "published flows start on ") + String.join(", ", closest) + ")";
    }

    /**
     * The sender a published version's step sends from: the id the step's {@code sender} (a name or an id) had when
     * the version was published, so that renaming the sender later changes nothing; as written for a version
     * published before versions kept them.
     */
    public String senderOf(UUID versionId, String sender) {
        return senderIds.computeIfAbsent(versionId, id -> jdbc.sql("SELECT sender_ids FROM flow_versions WHERE id = ?")
                        .param(id).query((rs, n) -> Optional.ofNullable(rs.getString(1))).optional()
                        .flatMap(ids -> ids.map(json -> strict.readValue(json, SENDER_IDS))).orElse(Map.of()))
                .getOrDefault(sender, sender);
    }

    /** The parsed document of a published version. */
    public FlowDocument document(UUID versionId) {
        FlowDocument cached = published.get(versionId);
        if (cached != null) {
            return cached;
        }
        FlowVersion version = version(versionId);
        FlowDocument document = read(version.document(), strict);
        if (version.isPublished()) {
            published.put(versionId, document);
        }
        return document;
    }

    private Optional<FlowVersion> latest(UUID flowId) {
        return latest(flowId, COLUMNS);
    }

    /** A flow's newest version, read with {@code columns} ({@link #COLUMNS}, or {@link #SUMMARY} without its document). */
    private Optional<FlowVersion> latest(UUID flowId, String columns) {
        return jdbc.sql("SELECT " + columns + " FROM flow_versions v JOIN flows f ON f.id = v.flow_id WHERE v.flow_id = ?"
                + " ORDER BY v.version DESC LIMIT 1").param(flowId).query(this::row).optional();
    }

    private FlowDocument checked(String document) {
        return checked(read(document, written));
    }

    private FlowDocument checked(FlowDocument flow) {
        List<FlowProblem> problems = validator.check(flow);
        if (!problems.isEmpty()) {
            FlowProblem first = problems.getFirst();
            throw ApiException.badRequest("invalid_flow", (first.step() == null ? "" : "step " + first.step() + ": ")
                    + first.message() + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more)" : ""), problems);
        }
        return flow;
    }

    private FlowVersion row(ResultSet rs, int rowNum) throws SQLException {
        return new FlowVersion(rs.getObject("id", UUID.class), rs.getObject("flow_id", UUID.class), rs.getString("name"),
                rs.getInt("version"), rs.getString("status"), rs.getString("entry_type"), rs.getString("entry_event"),
                Times.instant(rs, "created_at"), Times.instant(rs, "updated_at"), Times.instant(rs, "published_at"),
                Times.instant(rs, "stopped_at"), rs.getString("document"), null);
    }
}

package io.reach.journey;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.reach.contact.Contacts;
import io.reach.flow.FlowDocument;
import io.reach.flow.FlowProblem;
import io.reach.flow.FlowVersion;
import io.reach.flow.Flows;
import io.reach.shared.BackgroundWorker;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Works the running audience launches, one page of contacts per transaction: the page's journeys and the launch's
 * progress commit together, so a launch goes on after a stop or a crash from the page where it was, on whichever
 * node takes it, and starts nobody twice. A launch's row is locked while a page of it is written: two nodes can
 * share a launch's pages, never take the same one.
 */
@Component
class LaunchWorker extends BackgroundWorker {

    private static final Logger log = LoggerFactory.getLogger(LaunchWorker.class);

    /** Contacts per page: a page's journeys are written in a few statements, and memory stays that of one page. */
    static final int PAGE = 500;

    /** A launch logs its progress every so many pages (a hundred thousand contacts take some seconds). */
    private static final int LOG_EVERY = 20;

    private final LaunchStore launches;
    private final JourneyStore journeys;
    private final Flows flows;
    private final Contacts contacts;
    private final JourneyEngine engine;
    private final TransactionTemplate transactions;
    private final Clock clock;
    // Registered at 0 from the start: a count that first appears at 1 is no increase to Prometheus, and its alert would miss it.
    private final Map<String, Counter> refusals = new HashMap<>();

    private static final String TOO_LATE = "too_late";
    private static final String NOT_AN_AUDIENCE = "not_an_audience";
    private static final String TEMPLATE_NOT_APPROVED = "template_not_approved";

    /** Why a scheduled launch was refused at its time: {@code cause} tags its count, {@code reason} is what it keeps. */
    private record Refusal(String cause, String reason) {}

    LaunchWorker(LaunchStore launches, JourneyStore journeys, Flows flows, Contacts contacts, JourneyEngine engine,
                 TransactionTemplate transactions, JourneySettings settings, Clock clock,
                 MeterRegistry meters) {
        super("audience-launches", Duration.ofSeconds(1), settings.engineEnabled());
        this.launches = launches;
        this.journeys = journeys;
        this.flows = flows;
        this.contacts = contacts;
        this.engine = engine;
        this.transactions = transactions;
        this.clock = clock;
        for (String cause : List.of(TOO_LATE, NOT_AN_AUDIENCE, TEMPLATE_NOT_APPROVED)) {
            refusals.put(cause, Counter.builder("reach.launches.refused")
                    .description("Scheduled launches this node refused at their time, taking nobody, by cause")
                    .tag("cause", cause).register(meters));
        }
    }

    @Override
    protected int doWork() {
        int begun = beginDue();
        try {
            return begun + page(false);
        } catch (DuplicateKeyException launchedAtOnce) {
            // Another launch of this version started some of these contacts meanwhile: one by one, each once.
            return begun + page(true);
        }
    }

    /**
     * Lets the scheduled launches whose time has come run, each with its audience counted again (contacts come and go
     * between the scheduling and the launch) on the flow's version published last (a text corrected after the
     * scheduling goes out corrected). One node begins each. A launch scheduled while a template was in Meta's review is
     * refused now if it still is (its every contact's message would be blocked), unless it was scheduled despite it,
     * and so is one whose flow now starts on an event or the API, or whose nodes were down until after its
     * {@code notAfter} (see {@link #refusal}).
     */
    private int beginDue() {
        int begun = 0;
        for (UUID id : launches.due(clock.instant())) {
            Launch launch = launches.find(id).orElse(null);
            if (launch == null) {
                continue;
            }
            // A stopped flow's launch begins too, and ends STOPPED at its first page, as a running one does.
            FlowVersion version = flows.versions(launch.flowId()).stream()
                    .filter(v -> FlowVersion.PUBLISHED.equals(v.status())).reduce((older, newer) -> newer)
                    .orElseGet(() -> flows.version(launch.flowVersionId()));
            Refusal refused = refusal(launch, version);
            if (refused != null) {
                if (launches.refuse(id, version.id(), refused.reason())) {
                    begun++;
                    log.warn("Scheduled launch {} for {} refused: {}", id, launch.startsAt(), refused.reason());
                    // A campaign that did not go out at its time: worth an alert, not only a log line.
                    refusals.get(refused.cause()).increment();
                }
                continue;
            }
            long audienceSize = contacts.countMatching(Journeys.audienceFilter(
                    flows.document(version.id()).entry().audience(), launch.startsAt()));
            if (launches.begin(id, version.id(), audienceSize)) {
                begun++;
                log.info("Launching flow {} version {} as scheduled for {}: {} contacts in its audience (launch {})",
                        version.name(), version.version(), launch.startsAt(), audienceSize, id);
            }
        }
        return begun;
    }

    /**
     * Why a scheduled launch does not begin on {@code version}, the flow's published last: null when it does. It may be
     * later than its {@code notAfter}; a version published since the scheduling may start on an event or the API (its
     * document has no audience, which a launch would take for every contact).
     */
    private Refusal refusal(Launch launch, FlowVersion version) {
        if (launch.notAfter() != null && clock.instant().isAfter(launch.notAfter())) {
            return new Refusal(TOO_LATE, "Its time, " + launch.startsAt() + ", passed while no node could begin it, and"
                    + " it was to begin by " + launch.notAfter() + " at the latest: the launch took nobody");
        }
        if (!"audience".equals(version.entryType())) {
            return new Refusal(NOT_AN_AUDIENCE, "Flow " + version.name() + " version " + version.version()
                    + ", published last, starts on " + version.entryType() + ", not on an audience: the launch took nobody");
        }
        List<FlowProblem> unapproved = launch.despiteUnapprovedTemplates() ? List.of()
                : flows.unapprovedTemplates(version.id());
        if (unapproved.isEmpty()) {
            return null;
        }
        return new Refusal(TEMPLATE_NOT_APPROVED, Journeys.notLaunched(version, " at its time", unapproved)
                + ". Launch it again once Meta has approved it (Reach learns of it from Meta's review webhook, or from"
                + " POST /api/v1/templates/sync), or schedule it with ?despiteUnapprovedTemplates=true");
    }

    /** Takes one page of the oldest running launch no one else holds; 0 when there is none. */
    private int page(boolean oneByOne) {
        Integer handled = transactions.execute(tx -> {
            LaunchStore.Progress claimed = launches.claimRunning().orElse(null);
            if (claimed == null) {
                return 0;
            }
            Launch launch = claimed.launch();
            FlowVersion version = flows.version(launch.flowVersionId());
            if (flows.isStopped(launch.flowId())) {
                launches.advance(launch.id(), claimed.afterContactId(), 0, 0, Launch.STOPPED);
                log.info("Flow {} was stopped during its launch {}, after {} journeys started for {} of its {} contacts",
                        version.name(), launch.id(), launch.started(), launch.taken(), launch.audienceSize());
                return 1;
            }
            FlowDocument document = flows.document(version.id());
            List<UUID> page = contacts.idsMatching(Journeys.audienceFilter(document.entry().audience(), claimed.audienceAt()),
                    claimed.afterContactId(), PAGE);
            if (page.isEmpty()) {
                finish(launch, claimed.afterContactId(), 0, 0, version);
                return 1;
            }
            Map<String, String> variables = Journeys.startVariables(document, Map.of());
            Function<UUID, String> entryKey = contactId -> Journeys.audienceEntryKey(version.id(), contactId);
            int started = oneByOne
                    ? (int) page.stream().filter(contactId -> journeys.insert(version.id(), contactId, entryKey.apply(contactId),
                            document.start(), variables, false).isPresent()).count()
                    : journeys.insertAll(version.id(), document.start(), variables, page, entryKey);
            if (started > 0 && flows.isStopped(launch.flowId())) {
                tx.setRollbackOnly(); // stopped while this page was written (see Flows.stop): the next round says so
                return 1;
            }
            if (page.size() < PAGE) {
                finish(launch, page.getLast(), page.size(), started, version);
            } else {
                launches.advance(launch.id(), page.getLast(), page.size(), started, Launch.RUNNING);
                long taken = launch.taken() + page.size();
                if (taken % (LOG_EVERY * PAGE) == 0) {
                    log.info("Launching flow {} version {}: {} of {} contacts done, {} journeys started", version.name(),
                            version.version(), taken, launch.audienceSize(), launch.started() + started);
                }
            }
            engine.wakeAfterCommit();
            return 1;
        });
        return handled == null ? 0 : handled;
    }

    private void finish(Launch launch, UUID afterContactId, int taken, int started, FlowVersion version) {
        launches.advance(launch.id(), afterContactId, taken, started, Launch.DONE);
        long allTaken = launch.taken() + taken;
        long allStarted = launch.started() + started;
        log.info("Launched flow {} version {}: {} journeys started for {} contacts ({} had one already) in {} ms",
                version.name(), version.version(), allStarted, allTaken, allTaken - allStarted,
                Duration.between(launch.createdAt(), clock.instant()).toMillis());
    }
}

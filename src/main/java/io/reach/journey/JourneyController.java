package io.reach.journey;

import io.reach.flow.FlowVersion;
import io.reach.flow.Flows;
import io.reach.shared.ApiException;
import io.reach.shared.Ids;
import io.reach.shared.Pages;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** REST API of journeys: start one, post an event, launch on an audience, follow journeys and counts. */
@Tag(name = "Journeys", description = "Starting flows (API calls, events, launches), stopping them, and following their journeys")
@RestController
class JourneyController {

    /** Starts a journey for one contact ({@code to} or {@code contactId}); {@code key} makes the call idempotent. */
    record StartRequest(String to, String contactId, Map<String, String> variables, String key) {}

    /** A named event for one contact, with properties; {@code key} makes the post idempotent. */
    record EventRequest(String name, String to, String contactId, Map<String, String> properties, String key) {}

    private final Journeys journeys;
    private final Flows flows;
    private final Reports reports;

    JourneyController(Journeys journeys, Flows flows, Reports reports) {
        this.journeys = journeys;
        this.flows = flows;
        this.reports = reports;
    }

    @ApiResponse(responseCode = "200", description = "the journey an earlier start with this key started")
    @ApiResponse(responseCode = "201", description = "the journey started")
    @ApiResponse(responseCode = "409", description = "the flow does not start through the API (wrong_entry), or"
            + " is stopped (flow_stopped), or its key started a journey for another contact")
    @Operation(operationId = "startJourney", summary = "Start an api flow for one contact, with variables")
    @PostMapping(path = "/api/v1/flows/{id}/journeys", consumes = "application/json")
    ResponseEntity<Journeys.Started> start(@PathVariable String id, @RequestBody StartRequest request) {
        Journeys.Started started = journeys.start(flows.idOf(id), request.to(), request.contactId(), request.variables(),
                request.key());
        return ResponseEntity.status(started.replayed() ? HttpStatus.OK : HttpStatus.CREATED)
                .location(URI.create("/api/v1/journeys/" + started.journeyId())).body(started);
    }

    /**
     * When a launch begins: an ISO-8601 instant with its offset or its time zone's id; none (or no body) launches now.
     * {@code notAfter}, the latest a scheduled one may begin when its nodes were down at its time.
     */
    record LaunchRequest(String at, String notAfter) {}

    /**
     * Launches an audience flow, now or at {@code at}: 202 with the launch, whose progress
     * {@code GET /api/v1/launches/{id}} follows.
     */
    @ApiResponse(responseCode = "202", description = "the launch, running, or scheduled when at is given")
    @ApiResponse(responseCode = "409", description = "the flow does not start on an audience (wrong_entry), is"
            + " stopped (flow_stopped), or sends a template Meta has not approved (template_not_approved)")
    @Operation(operationId = "launchFlow", summary = "Launch an audience flow: start it for every contact of its audience, in the background, now or at a given time")
    @PostMapping("/api/v1/flows/{id}/launch")
    ResponseEntity<Launch> launch(@PathVariable String id,
                                  @Parameter(description = "launch even though a template the flow sends is not approved"
                                          + " by Meta (its sends are blocked; without this a 409 template_not_approved, or"
                                          + " for a scheduled launch, REFUSED if it is still not approved at its time)")
                                  @RequestParam(defaultValue = "false") boolean despiteUnapprovedTemplates,
                                  @io.swagger.v3.oas.annotations.parameters.RequestBody(description = "{\"at\": an"
                                          + " instant with its offset, or a local time with its zone such as"
                                          + " 2026-12-24T09:00:00[Europe/Amsterdam], and notAfter, the latest it may"
                                          + " begin}: when the launch begins (up to a year ahead); no body launches now")
                                  @RequestBody(required = false) LaunchRequest request) {
        Launch launch = journeys.launch(flows.idOf(id), despiteUnapprovedTemplates, request == null ? null : request.at(),
                request == null ? null : request.notAfter());
        return ResponseEntity.status(HttpStatus.ACCEPTED).location(URI.create("/api/v1/launches/" + launch.id())).body(launch);
    }

    /** Cancels a scheduled or running launch. */
    @ApiResponse(responseCode = "200", description = "the launch, cancelled")
    @ApiResponse(responseCode = "409", description = "the launch is over (done, stopped, cancelled or refused)")
    @Operation(operationId = "cancelLaunch", summary = "Cancel a launch: a scheduled one takes nobody, a running one no more contacts (its journeys go on)")
    @PostMapping("/api/v1/launches/{id}/cancel")
    Launch cancelLaunch(@PathVariable String id) {
        return journeys.cancelLaunch(Ids.parse("id", id));
    }

    /**
     * How many contacts the audience of the flow's newest version (or of {@code version}) takes now: what a launch
     * would count, before the flow is published or launched.
     */
    @ApiResponse(responseCode = "200", description = "how many contacts the audience takes now")
    @ApiResponse(responseCode = "409", description = "the flow starts on an event or through the API, not on an"
            + " audience (wrong_entry)")
    @Operation(operationId = "countFlowAudience", summary = "The number of contacts a flow's audience takes now, as a launch would count them")
    @GetMapping("/api/v1/flows/{id}/audience")
    Journeys.AudienceSize audienceSize(@PathVariable String id, @Parameter(description = "a version of the flow (its"
            + " number); its newest, draft or published, when not given") @RequestParam(required = false) Integer version) {
        return journeys.audienceSize(flows.idOf(id), version);
    }

    @Operation(operationId = "getLaunch", summary = "A launch and its progress")
    @GetMapping("/api/v1/launches/{id}")
    Launch launchOf(@PathVariable String id) {
        return journeys.launchOf(Ids.parse("id", id));
    }

    /**
     * The launches of every flow, newest first, or those in one {@code state}: the broadcasts scheduled, the ones
     * running now.
     */
    @Operation(operationId = "listLaunches", summary = "The launches of every flow, newest first, all or those in one state (scheduled, running, …)")
    @GetMapping("/api/v1/launches")
    List<Launch> launches(@Parameter(description = "only the launches in this state: scheduled, running, done, stopped or"
                                  + " cancelled") @RequestParam(required = false) String state,
                          @RequestParam(defaultValue = "100") int limit) {
        page(limit, 0);
        return journeys.launches(state, limit);
    }

    /** A flow's launches, newest first. */
    @Operation(operationId = "listFlowLaunches", summary = "A flow's launches, newest first")
    @GetMapping("/api/v1/flows/{id}/launches")
    List<Launch> launchesOf(@PathVariable String id, @RequestParam(defaultValue = "100") int limit) {
        page(limit, 0);
        return journeys.launchesOf(flows.idOf(id), limit);
    }

    /**
     * Stops a flow: no journey starts on it until {@code POST /api/v1/flows/{id}/resume}; with
     * {@code cancelJourneys=true} its journeys under way are cancelled too.
     */
    @ApiResponse(responseCode = "200", description = "the flow stopped, and its journeys' cancellation done if asked for")
    @ApiResponse(responseCode = "202", description = "the flow stopped, its journeys' cancellation running in the background")
    @Operation(operationId = "stopFlow", summary = "Stop a flow: no journey starts on it (and, with cancelJourneys=true, its journeys are cancelled)")
    @PostMapping("/api/v1/flows/{id}/stop")
    ResponseEntity<Journeys.Stopped> stop(@PathVariable String id,
                                          @Parameter(description = "true: its running and waiting journeys are"
                                                  + " cancelled too, and their messages no provider has taken yet"
                                                  + " withdrawn")
                                          @RequestParam(defaultValue = "false") boolean cancelJourneys) {
        Journeys.Stopped stopped = journeys.stop(flows.idOf(id), cancelJourneys);
        if (stopped.cancellation() != null && stopped.cancellation().running()) {
            return ResponseEntity.status(HttpStatus.ACCEPTED)
                    .location(URI.create("/api/v1/cancellations/" + stopped.cancellation().id())).body(stopped);
        }
        return ResponseEntity.ok(stopped);
    }

    /** A cancellation of a stopped flow's journeys and how far it got. */
    @Operation(operationId = "getCancellation", summary = "A stop's cancellation of journeys, and its progress")
    @GetMapping("/api/v1/cancellations/{id}")
    Cancellation cancellationOf(@PathVariable String id) {
        return journeys.cancellationOf(Ids.parse("id", id));
    }

    /** A flow's cancellations, newest first. */
    @Operation(operationId = "listFlowCancellations", summary = "A flow's cancellations, newest first")
    @GetMapping("/api/v1/flows/{id}/cancellations")
    List<Cancellation> cancellationsOf(@PathVariable String id, @RequestParam(defaultValue = "100") int limit) {
        page(limit, 0);
        return journeys.cancellationsOf(flows.idOf(id), limit);
    }

    /**
     * Lets journeys start on a stopped flow again (see {@code POST /api/v1/flows/{id}/stop}); a 409 while its
     * journeys are still being cancelled.
     */
    @ApiResponse(responseCode = "200", description = "the flow, resumed")
    @ApiResponse(responseCode = "409", description = "its journeys are still being cancelled (flow_cancelling)")
    @Operation(operationId = "resumeFlow", summary = "Let journeys start on a stopped flow again")
    @PostMapping("/api/v1/flows/{id}/resume")
    FlowVersion resume(@PathVariable String id) {
        return journeys.resume(flows.idOf(id));
    }

    /** What a journey's cancellation may say: why, kept with the step the journey was at. */
    record CancelRequest(String reason) {}

    /**
     * Cancels one journey under way: it takes no further step, and the messages it queued that no provider has taken
     * yet are withdrawn. A journey cancelled before is answered as it is; one that ended or failed is a 409.
     */
    @ApiResponse(responseCode = "200", description = "the journey, cancelled, and how many of its queued messages were"
            + " withdrawn")
    @ApiResponse(responseCode = "409", description = "the journey ended or failed (journey_over)")
    @Operation(operationId = "cancelJourney", summary = "Cancel one running or waiting journey")
    @PostMapping("/api/v1/journeys/{id}/cancel")
    Journeys.Cancelled cancel(@PathVariable String id,
                              @org.springframework.web.bind.annotation.RequestBody(required = false) CancelRequest request) {
        return journeys.cancel(Ids.parse("id", id), request == null ? null : request.reason());
    }

    /** Whose journeys a cancellation takes: a contact (by phone or id), in every flow or in one, and why. */
    record ContactCancelRequest(String to, String contactId, String flowId, String reason) {}

    /**
     * Cancels every journey of one contact under way, in every flow or in one ({@code flowId}: its id or name), as
     * {@code POST /api/v1/journeys/{id}/cancel} does one (the customer asked for a person, or to hear nothing more
     * of an order): answers the journeys it cancelled, none when none was under way.
     */
    @ApiResponse(responseCode = "200", description = "the journeys cancelled (none when none was under way)")
    @ApiResponse(responseCode = "404", description = "no contact has the number or id, or no flow the id or name")
    @Operation(operationId = "cancelContactJourneys", summary = "Cancel a contact's running and waiting journeys, in every flow or in one")
    @PostMapping(path = "/api/v1/journeys/cancel", consumes = "application/json")
    Journeys.ContactCancelled cancelOfContact(@RequestBody ContactCancelRequest request) {
        return journeys.cancelOfContact(request.to(), request.contactId(),
                request.flowId() == null ? null : flows.idOf(request.flowId()), request.reason());
    }

    @ApiResponse(responseCode = "202", description = "the journeys the event started (or an earlier post with this key),"
            + " and those it cancelled: their flows exit on it")
    @ApiResponse(responseCode = "404", description = "no contact has the number or id")
    @Operation(operationId = "postEvent", summary = "Post an event: it ends the contact's journeys on flows that exit on it, then starts the flows that enter on it")
    @PostMapping(path = "/api/v1/events", consumes = "application/json")
    ResponseEntity<Journeys.EventPosted> event(@RequestBody EventRequest request) {
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(journeys.postEvent(request.name(), request.to(),
                request.contactId(), request.properties(), request.key()));
    }

    /**
     * A page of a flow's journeys, oldest first. A full page links the next one ({@code Link: <…?after=…>; rel="next"}):
     * {@code after} (the last journey's id) reads any page as fast as the first, where {@code offset} reads past the
     * journeys it skips.
     */
    @ApiResponse(responseCode = "200", description = "a page of journeys, oldest first",
            headers = @Header(name = "Link", description = Pages.NEXT_LINK))
    @Operation(operationId = "listFlowJourneys", summary = "A flow's journeys, oldest first")
    @GetMapping("/api/v1/flows/{id}/journeys")
    ResponseEntity<List<Journey>> ofFlow(@PathVariable String id,
                                         @Parameter(description = STATE)
                                         @RequestParam(required = false) String state,
                                         @Parameter(description = "only the journeys on this"
                                                 + " version of the flow (its number)")
                                         @RequestParam(required = false) Integer version,
                                         @Parameter(description = "only the journeys whose"
                                                 + " current step this is: where they wait, or where they ended or failed")
                                         @RequestParam(required = false) String step,
                                         @RequestParam(required = false) String after,
                                         @RequestParam(defaultValue = "100") int limit,
                                         @RequestParam(defaultValue = "0") int offset) {
        page(limit, offset);
        Pages.afterOrOffset(after, offset);
        UUID flowId = flows.idOf(id);
        List<Journey> page = journeys.ofFlow(flowId, new Journeys.FlowJourneys(state, version, step),
                after == null ? null : Ids.parse("after", after), limit, offset);
        return Pages.withNextLink(page, limit, "/api/v1/flows/" + flowId + "/journeys?limit=" + limit
                + stateParameter(state) + (version == null ? "" : "&version=" + version)
                + (step == null ? "" : "&step=" + Pages.encoded(step)), Journey::id);
    }

    private static final String STATE = "only the journeys in this state: running, waiting, ended, failed or cancelled";

    /** The {@code state} filter as the next page's link repeats it: nothing when there is none. */
    private static String stateParameter(String state) {
        return state == null ? "" : "&state=" + state.toLowerCase(Locale.ROOT);
    }

    /**
     * A page of a contact's journeys in every flow, newest first: what the contact is going through. A full page links
     * the next one ({@code Link: <…&after=…>; rel="next"}, the last journey's id).
     */
    @ApiResponse(responseCode = "200", description = "a page of the contact's journeys, newest first",
            headers = @Header(name = "Link", description = Pages.NEXT_LINK))
    @ApiResponse(responseCode = "404", description = "no contact has the number (to=)")
    @Operation(operationId = "listContactJourneys", summary = "One contact's journeys in every flow, newest first")
    @GetMapping("/api/v1/journeys")
    ResponseEntity<List<Journey>> ofContact(@Parameter(description = "the contact whose journeys these are (or to)")
                                            @RequestParam(required = false) String contactId,
                                            @Parameter(description = "the contact's phone number (or contactId)")
                                            @RequestParam(required = false) String to,
                                            @Parameter(description = STATE)
                                            @RequestParam(required = false) String state,
                                            @RequestParam(required = false) String after,
                                            @RequestParam(defaultValue = "100") int limit) {
        page(limit, 0);
        if (contactId == null && to == null) {
            throw ApiException.invalidField("contactId", "is required, or to (the contact's number): the journeys of one"
                    + " contact, newest first (a flow's journeys are at /api/v1/flows/{id}/journeys)");
        }
        // Whoever answers a customer has its number; the next pages name the contact by its id.
        UUID contact = to == null ? Ids.parse("contactId", contactId) : journeys.contactOf(to, contactId);
        List<Journey> page = journeys.ofContact(contact, state, after == null ? null : Ids.parse("after", after), limit);
        return Pages.withNextLink(page, limit, "/api/v1/journeys?contactId=" + contact + "&limit=" + limit
                + stateParameter(state), Journey::id);
    }

    @Operation(operationId = "getJourney", summary = "One journey: its state, current step, variables and wait")
    @GetMapping("/api/v1/journeys/{id}")
    Journey get(@PathVariable String id) {
        return journeys.get(Ids.parse("id", id));
    }

    /**
     * The journey's path, step by step: when it entered each step, the branch it took and what the step did; a page
     * of it, from the step after {@code after} (a step's {@code seq}), since a journey that loops through a wait for
     * months has a long path. A full page links the next one.
     */
    @ApiResponse(responseCode = "200", description = "a page of the journey's steps, in the order it took them",
            headers = @Header(name = "Link", description = Pages.NEXT_LINK))
    @Operation(operationId = "getJourneyPath", summary = "One journey's path, step by step")
    @GetMapping("/api/v1/journeys/{id}/path")
    ResponseEntity<List<JourneyStep>> path(@PathVariable String id, @RequestParam(defaultValue = "0") int after,
                                           @RequestParam(defaultValue = "1000") int limit) {
        if (limit < 1 || limit > 10_000) {
            throw ApiException.invalidField("limit", "must be between 1 and 10000");
        }
        if (after < 0) {
            throw ApiException.invalidField("after", "must be a step's seq (0 or more), not " + after);
        }
        UUID journeyId = Ids.parse("id", id);
        List<JourneyStep> page = journeys.path(journeyId, after, limit);
        return Pages.withNextLink(page, limit, "/api/v1/journeys/" + journeyId + "/path?limit=" + limit, JourneyStep::seq);
    }

    @Operation(operationId = "getFlowVersionCounts", summary = "A version's live counts: per step, journeys that entered, wait there and took each branch; journeys by state")
    @GetMapping("/api/v1/flows/{id}/versions/{version}/counts")
    FlowCounts counts(@PathVariable String id, @PathVariable int version) {
        return journeys.counts(flows.version(flows.idOf(id), version).id());
    }

    /** A page of a flow's report rows, oldest first; a full page links the next one, as the journeys' pages do. */
    @ApiResponse(responseCode = "200", description = "a page of report rows, oldest first",
            headers = @Header(name = "Link", description = Pages.NEXT_LINK))
    @Operation(operationId = "listFlowReports", summary = "The report rows a flow's journeys added, oldest first")
    @GetMapping("/api/v1/flows/{id}/reports")
    ResponseEntity<List<Reports.Row>> reports(@PathVariable String id, @RequestParam(required = false) String after,
                                              @RequestParam(defaultValue = "1000") int limit,
                                              @RequestParam(defaultValue = "0") int offset) {
        if (limit < 1 || limit > 10_000 || offset < 0) {
            throw ApiException.invalidField("limit", "must be between 1 and 10000 (offset not negative)");
        }
        Pages.afterOrOffset(after, offset);
        UUID flowId = flows.idOf(id);
        List<UUID> versions = flows.versions(flowId).stream().map(FlowVersion::id).toList();
        List<Reports.Row> page = reports.ofVersions(versions, after == null ? null : rowId(after), limit, offset);
        return Pages.withNextLink(page, limit, "/api/v1/flows/" + flowId + "/reports?limit=" + limit, Reports.Row::id);
    }

    private static long rowId(String after) {
        try {
            return Long.parseLong(after);
        } catch (NumberFormatException e) {
            throw ApiException.invalidField("after", "must be a report row's id (a number), not " + after);
        }
    }

    private static void page(int limit, int offset) {
        if (limit < 1 || limit > 1000 || offset < 0) {
            throw ApiException.invalidField("limit", "must be between 1 and 1000 (offset not negative)");
        }
    }
}

package io.reach.journey;

import io.reach.contact.PersonalData;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * A contact's journeys, erased with it: those under way are cancelled (their queued messages withdrawn), then every
 * journey of it is emptied of what it kept of the contact. First of the features: a journey's turn takes its journey's
 * lock before its messages' and its contact's, and the erasure takes them in that order too.
 */
@Order(1)
@Component
class JourneyPersonalData implements PersonalData {

    /** Journeys, or steps of a path, read at a time for an export. */
    static final int PAGE = 100;

    private final JourneyStore store;
    private final Journeys journeys;
    private final Reports reports;

    JourneyPersonalData(JourneyStore store, Journeys journeys, Reports reports) {
        this.store = store;
        this.journeys = journeys;
        this.reports = reports;
    }

    /** A journey as an export shows it: as the API does, with its whole path and the report rows it added. */
    record ExportedJourney(Journey journey, List<JourneyStep> path, List<Reports.Row> reportRows) {}

    /** The contact's journeys in every flow, newest first, each with its path and report rows. */
    @Override
    public void export(UUID contactId, Export export) {
        export.section("journeys");
        List<Journey> page;
        Journey after = null;
        do {
            page = store.ofContact(contactId, null, after, PAGE);
            for (Journey journey : page) {
                export.item(new ExportedJourney(journey, wholePath(journey.id()), reports.ofJourney(journey.id())));
            }
            after = page.isEmpty() ? null : page.getLast();
        } while (page.size() == PAGE);
    }

    private List<JourneyStep> wholePath(UUID journeyId) {
        List<JourneyStep> path = new ArrayList<>();
        List<JourneyStep> page;
        do {
            page = store.path(journeyId, path.isEmpty() ? 0 : path.getLast().seq(), PAGE);
            path.addAll(page);
        } while (page.size() == PAGE);
        return path;
    }

    @Override
    public Map<String, Integer> erase(UUID contactId, String phone) {
        Journeys.ContactCancelled cancelled = journeys.cancelUnderWay(contactId, null, ERASED);
        JourneyStore.ErasedJourneys erased = store.eraseOf(contactId, ERASED);
        Map<String, Integer> counts = new LinkedHashMap<>();
        counts.put("journeysCancelled", cancelled.cancelledJourneys().size());
        counts.put("journeys", erased.journeys());
        counts.put("reportRows", erased.reportRows());
        counts.put("messagesWithdrawn", cancelled.withdrawnMessages());
        return counts;
    }
}

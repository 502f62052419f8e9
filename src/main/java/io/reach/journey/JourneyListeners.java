package io.reach.journey;

import io.reach.contact.Contacts;
import io.reach.flow.FlowDeleted;
import io.reach.flow.Flows;
import io.reach.flow.StepTypes;
import io.reach.messaging.InboundMessage;
import io.reach.messaging.InboundMessageReceived;
import io.reach.messaging.InboundMessages;
import io.reach.messaging.MessageStatusReported;
import io.reach.messaging.MessageStatusesReported;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Hands message statuses and replies to the journeys waiting for them, inside the transaction that records the
 * status or the reply: the decision is stored with the event, once (the first decisive event wins).
 */
@Component
class JourneyListeners {

    private final JourneyStore store;
    private final JourneyEngine engine;
    private final Contacts contacts;
    private final Flows flows;
    private final JsonMapper json;
    private final InboundMessages inbound;
    private final CancellationStore cancellations;

    JourneyListeners(JourneyStore store, JourneyEngine engine, Contacts contacts, Flows flows,
                     JsonMapper json, InboundMessages inbound, CancellationStore cancellations) {
        this.inbound = inbound;
        this.cancellations = cancellations;
        this.store = store;
        this.flows = flows;
        this.engine = engine;
        this.contacts = contacts;
        this.json = json;
    }

    /** A flow never published had no journey to cancel; a stop of it that asked to cancel them was recorded all the same. */
    @EventListener
    void onFlowDeleted(FlowDeleted deleted) {
        cancellations.deleteOfFlow(deleted.flowId());
    }

    @EventListener
    void onStatuses(MessageStatusesReported reported) {
        // Queued and submitted decide no branch: no need to look for journeys waiting on their messages.
        List<MessageStatusReported> deciding = reported.statuses().stream()
                .filter(s -> Decisions.forStatus(s.status(), Decisions.ANY_STATUS_BRANCH) != null).toList();
        if (deciding.isEmpty()) {
            return;
        }
        Map<UUID, List<JourneyStore.Row>> waiting = new HashMap<>();
        for (JourneyStore.Row row : store.waitingOnMessages(deciding.stream().map(MessageStatusReported::messageId).distinct().toList(),
                StepOutcome.STATUS)) {
            waiting.computeIfAbsent(row.journey().waitingMessageId(), k -> new ArrayList<>()).add(row);
        }
        // The first decisive status of a message decides each journey waiting on it, once.
        Map<UUID, JourneyStore.StatusDecision> decisions = new LinkedHashMap<>();
        for (MessageStatusReported status : deciding) {
            for (JourneyStore.Row row : waiting.getOrDefault(status.messageId(), List.of())) {
                String decision = Decisions.forStatus(status.status(), Decisions.keys(row.waitingFor()));
                if (decision != null) {
                    decisions.putIfAbsent(row.journey().id(), new JourneyStore.StatusDecision(row.journey().id(),
                            status.messageId(), decision));
                }
            }
        }
        boolean decided = store.decideStatuses(List.copyOf(decisions.values())) > 0;
        // A question withdrawn while queued, or failed, gets no answer: the journeys waiting for one take no_reply now.
        List<UUID> unanswerable = deciding.stream().filter(s -> Decisions.unanswerable(s.status()))
                .map(MessageStatusReported::messageId).distinct().toList();
        if (!unanswerable.isEmpty()) {
            for (JourneyStore.Row row : store.waitingOnMessages(unanswerable, StepOutcome.REPLY)) {
                decided |= store.decideReply(row.journey().id(), StepTypes.NO_REPLY, null);
            }
        }
        if (decided) {
            engine.wakeAfterCommit();
        }
    }

    @EventListener
    void onReply(InboundMessageReceived event) {
        InboundMessage reply = event.message();
        if (reply.contactId() == null || !reply.isReply()) {
            return;
        }
        // The same lock a journey takes when it starts waiting, so that the two never miss each other.
        contacts.lock(reply.contactId());
        boolean decided = false;
        for (JourneyStore.Row row : store.waitingForReply(reply.contactId())) {
            UUID expected = row.journey().waitingMessageId();
            if (expected != null && !inbound.answers(reply, expected)) {
                continue;
            }
            Set<String> keys = replyBranches(row);
            String decision = Decisions.forReply(reply.replyPayload(), reply.text(), keys);
            if (decision != null) {
                Map<String, String> detail = new LinkedHashMap<>();
                StepExecutor.remember(reply, detail);
                decided |= store.decideReply(row.journey().id(), decision, json.writeValueAsString(detail));
            }
        }
        if (decided) {
            engine.wakeAfterCommit();
        }
    }

    /**
     * The reply branches of the step a journey waits at, read from its flow (published, so held in memory): a
     * payload may hold the comma that separates the keys the journey's row keeps.
     */
    private Set<String> replyBranches(JourneyStore.Row row) {
        return flows.document(row.journey().flowVersionId()).step(row.journey().currentStep())
                .filter(step -> step.branches() != null).map(Decisions::replyBranches).orElse(Set.of());
    }
}

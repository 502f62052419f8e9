package io.reach.flow;

import io.reach.sender.Sender;
import io.reach.sender.SenderUsers;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The flow versions that name a sender: a published one's journeys may still reach a step that sends through it, and
 * a draft would no longer publish, so it stays registered.
 */
@Component
class FlowSenderUsers implements SenderUsers {

    private static final TypeReference<Map<String, String>> SENDER_IDS = new TypeReference<>() {};

    private final JdbcClient jdbc;
    private final JsonMapper json;

    FlowSenderUsers(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    @Override
    public List<String> naming(Sender sender) {
        String id = sender.id().toString();
        List<String> users = new ArrayList<>();
        // The name or id in the text picks the few versions worth reading; their steps (or, for a version published
        // with its senders resolved, those ids) say whether one names this sender.
        jdbc.sql("SELECT f.name, v.version, v.status, v.document, v.sender_ids FROM flow_versions v JOIN flows f"
                        + " ON f.id = v.flow_id WHERE v.document LIKE ? OR v.document LIKE ? OR v.sender_ids LIKE ?"
                        + " ORDER BY f.name, v.version")
                .params("%" + sender.name() + "%", "%" + id + "%", "%" + id + "%")
                .query(rs -> {
                    if (names(rs.getString("document"), rs.getString("sender_ids"), sender.name(), id)) {
                        users.add("flow " + rs.getString("name") + " version " + rs.getInt("version")
                                + (FlowVersion.PUBLISHED.equals(rs.getString("status")) ? "" : " (draft)"));
                    }
                });
        return users;
    }

    private boolean names(String document, String senderIds, String name, String id) {
        if (senderIds != null) {
            // Published with its senders as they were then: a later rename, or another sender taking the name, changes nothing.
            return json.readValue(senderIds, SENDER_IDS).containsValue(id);
        }
        FlowDocument flow = json.readValue(document, FlowDocument.class);
        return (flow.steps() == null ? List.<FlowStep>of() : flow.steps()).stream()
                .anyMatch(step -> step != null && (name.equals(step.sender()) || id.equals(step.sender())));
    }
}

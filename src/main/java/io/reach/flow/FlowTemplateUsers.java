package io.reach.flow;

import io.reach.template.TemplateUsers;
import java.util.ArrayList;
import java.util.List;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The published flow versions that send a template: their journeys may still reach the step, so it stays registered. */
@Component
class FlowTemplateUsers implements TemplateUsers {

    private final JdbcClient jdbc;
    private final JsonMapper json;

    FlowTemplateUsers(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    @Override
    public List<String> sending(String name, String language) {
        List<String> users = new ArrayList<>();
        // The name in the text picks the few documents worth reading; the steps say whether one sends it.
        jdbc.sql("SELECT f.name, v.version, v.document FROM flow_versions v JOIN flows f ON f.id = v.flow_id"
                        + " WHERE v.status = ? AND v.document LIKE ? ORDER BY f.name, v.version")
                .params(FlowVersion.PUBLISHED, "%" + name + "%")
                .query(rs -> {
                    for (JsonNode step : json.readTree(rs.getString("document")).path("steps")) {
                        if (StepTypes.SEND_WHATSAPP.equals(step.path("type").asString(null))
                                && name.equals(step.path("template").asString(null))
                                && language.equals(step.path("language").asString(null))) {
                            users.add("flow " + rs.getString("name") + " version " + rs.getInt("version"));
                            break;
                        }
                    }
                });
        return users;
    }
}

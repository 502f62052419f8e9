package io.reach.flow;

import io.reach.shared.FieldProblem;
import io.reach.template.Template;
import io.reach.template.TemplateParameters;
import io.reach.template.TemplateUsers;
import io.reach.template.Templates;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
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
        forEachSend(name, language, (version, step) -> {
            if (users.isEmpty() || !users.getLast().equals(version)) {
                users.add(version);
            }
        });
        return users;
    }

    @Override
    public List<String> notFitting(Template template) {
        List<String> users = new ArrayList<>();
        forEachSend(template.name(), template.language(), (version, step) -> {
            List<FieldProblem> problems = Templates.checkShape(template, new TemplateParameters(step.headerParameters(),
                    step.bodyParameters(), step.buttonParameters()));
            if (!problems.isEmpty()) {
                users.add(version + ", step " + step.id() + ": " + problems.getFirst().field() + ": "
                        + problems.getFirst().message());
            }
        });
        return users;
    }

    /** Each send_whatsapp step of a published version that sends the template, with the version's name for a person. */
    private void forEachSend(String name, String language, BiConsumer<String, FlowStep> send) {
        // The name in the text picks the few documents worth reading; the steps say whether one sends it.
        jdbc.sql("SELECT f.name, v.version, v.document FROM flow_versions v JOIN flows f ON f.id = v.flow_id"
                        + " WHERE v.status = ? AND v.document LIKE ? ORDER BY f.name, v.version")
                .params(FlowVersion.PUBLISHED, "%" + name + "%")
                .query(rs -> {
                    FlowDocument document = json.readValue(rs.getString("document"), FlowDocument.class);
                    for (FlowStep step : document.steps() == null ? List.<FlowStep>of() : document.steps()) {
                        if (step != null && StepTypes.SEND_WHATSAPP.equals(step.type()) && name.equals(step.template())
                                && language.equals(step.language())) {
                            send.accept("flow " + rs.getString("name") + " version " + rs.getInt("version"), step);
                        }
                    }
                });
    }
}

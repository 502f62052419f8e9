package io.reach.messaging.whatsapp;

import static org.assertj.core.api.Assertions.assertThat;

import io.reach.template.TemplateButton;
import io.reach.template.TemplateComponent;
import io.reach.template.TemplateRequest;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class MetaTemplatesTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void readsATemplateAsMetaListsItLeavingItsExamplesOfPlaceholders() {
        MetaTemplates.Read read = MetaTemplates.read(JSON.readTree("""
                {"name":"order_shipped","parameter_format":"POSITIONAL","language":"pt_BR","status":"APPROVED",
                 "category":"UTILITY","id":"1234","components":[
                  {"type":"HEADER","format":"IMAGE","example":{"header_handle":["https://scontent.whatsapp.net/v/t61"]}},
                  {"type":"BODY","text":"Pedido {{1}} enviado.","example":{"body_text":[["#42"]]}},
                  {"type":"FOOTER","text":"Loja"},
                  {"type":"BUTTONS","buttons":[
                   {"type":"URL","text":"Rastrear","url":"https://shop.example/t/{{1}}","example":["https://shop.example/t/42"]},
                   {"type":"PHONE_NUMBER","text":"Ligar","phone_number":"+5511987654321"},
                   {"type":"COPY_CODE","example":"SAVE10"},
                   {"type":"QUICK_REPLY","text":"Parar"}]}]}"""));

        assertThat(read).isEqualTo(new MetaTemplates.Usable(new TemplateRequest("order_shipped", "pt_BR", "UTILITY", "APPROVED",
                List.of(new TemplateComponent("HEADER", "IMAGE", null, null),
                        new TemplateComponent("BODY", null, "Pedido {{1}} enviado.", null),
                        new TemplateComponent("FOOTER", null, "Loja", null),
                        new TemplateComponent("BUTTONS", null, null, List.of(
                                new TemplateButton("URL", "Rastrear", "https://shop.example/t/{{1}}", null,
                                        "https://shop.example/t/42"),
                                new TemplateButton("PHONE_NUMBER", "Ligar", null, "+5511987654321", null),
                                new TemplateButton("COPY_CODE", null, null, null, "SAVE10"),
                                new TemplateButton("QUICK_REPLY", "Parar", null, null, null)))), "POSITIONAL")));
    }

    @Test
    void keepsMetasStatusesAsTheFiveReachKnows() {
        assertThat(status("IN_APPEAL")).isEqualTo("PENDING");
        assertThat(status("PAUSED")).isEqualTo("PAUSED");
        assertThat(status("ARCHIVED")).isEqualTo("DISABLED");
        assertThat(status("PENDING_DELETION")).isEqualTo("DISABLED");
        assertThat(status("LIMIT_EXCEEDED")).isEqualTo("DISABLED");
        assertThat(MetaTemplates.status("reinstated")).contains("APPROVED");
        assertThat(MetaTemplates.status("FLAGGED")).isEmpty();
        assertThat(MetaTemplates.status(null)).isEmpty();
    }

    @Test
    void readsATemplateWithNamedParameters() {
        MetaTemplates.Read read = MetaTemplates.read(JSON.readTree("""
                {"name":"table_booked","parameter_format":"NAMED","language":"en_US","status":"APPROVED","category":"UTILITY",
                 "components":[{"type":"BODY","text":"A table for {{guests}}.",
                  "example":{"body_text_named_params":[{"param_name":"guests","example":"4"}]}}]}"""));

        assertThat(read).isInstanceOf(MetaTemplates.Usable.class);
        assertThat(((MetaTemplates.Usable) read).request().components()).extracting(TemplateComponent::text)
                .containsExactly("A table for {{guests}}.");
    }

    @Test
    void saysWhyReachCannotSendATemplate() {
        assertThat(MetaTemplates.read(JSON.readTree("""
                {"name":"table_booked","parameter_format":"NAMED","language":"en_US","status":"APPROVED","category":"UTILITY",
                 "components":[{"type":"BODY","text":"A table for {{1}}."}]}""")))
                .isEqualTo(new MetaTemplates.Unusable("table_booked", "en_US",
                        "parameterFormat: is NAMED but the placeholders are numbered ({{1}})"));
        assertThat(MetaTemplates.read(JSON.readTree("""
                {"name":"table_booked","parameter_format":"NAMED","language":"en_US","status":"APPROVED","category":"UTILITY",
                 "components":[{"type":"BODY","text":"A table for {{Guests}}."}]}""")))
                .isEqualTo(new MetaTemplates.Unusable("table_booked", "en_US", "components[0].text: placeholder {{Guests}}"
                        + " is neither numbered ({{1}}, {{2}}, …) nor a name of lowercase letters, digits and _ ({{first_name}})"));
        assertThat(MetaTemplates.read(JSON.readTree("""
                {"name":"new_menu","language":"en","status":"APPROVED","category":"MARKETING",
                 "components":[{"type":"BODY","text":"Our new menu."},{"type":"BUTTONS","buttons":[
                  {"type":"FLOW","text":"Order now","flow_id":"1234"}]}]}""")))
                .isEqualTo(new MetaTemplates.Unusable("new_menu", "en",
                        "components[1].buttons[0].type: must be one of QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE"));
        assertThat(MetaTemplates.read(JSON.readTree("""
                {"name":"odd","language":"en","status":"SOMETHING_NEW","category":"UTILITY",
                 "components":[{"type":"BODY","text":"Hi."}]}""")))
                .isEqualTo(new MetaTemplates.Unusable("odd", "en", "its status SOMETHING_NEW is not one Reach knows"));
    }

    /** The status of a template Meta lists with this one, as read. */
    private static String status(String meta) {
        MetaTemplates.Read read = MetaTemplates.read(JSON.readTree("""
                {"name":"a","language":"en","status":"%s","category":"UTILITY","components":[{"type":"BODY","text":"Hi."}]}"""
                .formatted(meta)));
        assertThat(read).isInstanceOf(MetaTemplates.Usable.class);
        return ((MetaTemplates.Usable) read).request().status();
    }
}

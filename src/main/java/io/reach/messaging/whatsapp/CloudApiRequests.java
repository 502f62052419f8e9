package io.reach.messaging.whatsapp;

import io.reach.template.ButtonParameter;
import io.reach.template.RenderedTemplate;
import io.reach.template.Template;
import io.reach.template.TemplateButton;
import io.reach.template.TemplateComponent;
import java.net.URI;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Builds the JSON of Meta's Cloud API send call for a rendered template. */
final class CloudApiRequests {

    private final JsonMapper json;

    CloudApiRequests(JsonMapper json) {
        this.json = json;
    }

    /**
     * The template message. {@code biz_opaque_callback_data} carries Reach's message id: Meta echoes it in every
     * status webhook, so a status can be matched even before the send's own answer is recorded.
     */
    String template(UUID messageId, String recipient, RenderedTemplate rendered) {
        Template template = rendered.template();
        ObjectNode root = json.createObjectNode();
        root.put("messaging_product", "whatsapp");
        root.put("recipient_type", "individual");
        root.put("to", recipient);
        root.put("type", "template");
        root.put("biz_opaque_callback_data", messageId.toString());
        ObjectNode body = root.putObject("template");
        body.put("name", template.name());
        ObjectNode language = body.putObject("language");
        language.put("policy", "deterministic");
        language.put("code", template.language());
        ArrayNode components = json.createArrayNode();
        boolean named = "NAMED".equals(template.parameterFormat());
        List<String> header = rendered.parameters().header().list();
        Optional<TemplateComponent> headerComponent = template.component("HEADER");
        if (!header.isEmpty() && headerComponent.isPresent()) {
            ObjectNode component = components.addObject();
            component.put("type", "header");
            ArrayNode parameters = component.putArray("parameters");
            String format = headerComponent.get().format();
            if ("TEXT".equals(format)) {
                texts(parameters, named ? template.placeholders("HEADER") : null, header);
            } else {
                String kind = format.toLowerCase(Locale.ROOT);
                ObjectNode parameter = parameters.addObject();
                parameter.put("type", kind);
                ObjectNode media = parameter.putObject(kind);
                media.put("link", header.getFirst());
                if (kind.equals("document")) {
                    media.put("filename", fileName(header.getFirst()));
                }
            }
        }
        if (!rendered.parameters().body().isEmpty()) {
            ObjectNode component = components.addObject();
            component.put("type", "body");
            texts(component.putArray("parameters"), named ? template.placeholders("BODY") : null,
                    rendered.parameters().body().list());
        }
        List<TemplateButton> buttons = template.buttons();
        rendered.parameters().buttons().stream()
                .sorted(Comparator.comparing(ButtonParameter::index))
                .forEach(parameter -> {
                    TemplateButton button = buttons.get(parameter.index());
                    ObjectNode component = components.addObject();
                    component.put("type", "button");
                    component.put("index", String.valueOf(parameter.index()));
                    ObjectNode value = component.putArray("parameters").addObject();
                    if (button.isQuickReplyButton()) {
                        component.put("sub_type", "quick_reply");
                        value.put("type", "payload").put("payload", parameter.value());
                    } else if (button.isCopyCodeButton()) {
                        component.put("sub_type", "copy_code");
                        value.put("type", "coupon_code").put("coupon_code", parameter.value());
                    } else {
                        component.put("sub_type", "url");
                        value.put("type", "text").put("text", parameter.value());
                    }
                });
        if (!components.isEmpty()) {
            body.set("components", components);
        }
        return json.writeValueAsString(root);
    }

    /**
     * Text parameters in their placeholders' order; given the placeholders' {@code names} (a template with named
     * placeholders), each is named ({@code parameter_name}), as Meta requires of its {@code NAMED} parameter format.
     */
    private static void texts(ArrayNode parameters, List<String> names, List<String> values) {
        for (int i = 0; i < values.size(); i++) {
            ObjectNode parameter = parameters.addObject().put("type", "text");
            if (names != null) {
                parameter.put("parameter_name", names.get(i));
            }
            parameter.put("text", values.get(i));
        }
    }

    /** A free-form text message (only deliverable inside the 24-hour customer-service window). */
    String text(UUID messageId, String recipient, String text) {
        ObjectNode root = json.createObjectNode();
        root.put("messaging_product", "whatsapp");
        root.put("recipient_type", "individual");
        root.put("to", recipient);
        root.put("type", "text");
        root.put("biz_opaque_callback_data", messageId.toString());
        root.putObject("text").put("preview_url", false).put("body", text);
        return json.writeValueAsString(root);
    }

    private static String fileName(String link) {
        try {
            String path = URI.create(link).getPath();
            String name = path == null ? "" : path.substring(path.lastIndexOf('/') + 1);
            return name.isBlank() ? "document" : name;
        } catch (IllegalArgumentException e) {
            return "document";
        }
    }
}

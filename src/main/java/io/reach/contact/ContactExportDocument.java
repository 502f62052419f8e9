package io.reach.contact;

import io.swagger.v3.oas.models.media.ArraySchema;
import io.swagger.v3.oas.models.media.DateTimeSchema;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The shape of a contact's export in the API document: it is written a section at a time as it is read, so no Java
 * type has it. Each section's items have the schema of the answers that list them elsewhere in the API.
 */
@Configuration(proxyBeanMethods = false)
class ContactExportDocument {

    /** The export's schema among the document's components. */
    static final String NAME = "ContactExport";

    @Bean
    OpenApiCustomizer contactExportSchema() {
        return openApi -> openApi.getComponents().addSchemas(NAME, new ObjectSchema()
                .description("Everything Reach keeps about a contact, newest first in each list")
                .addProperty("exportedAt", new DateTimeSchema())
                .addProperty("contact", component("Contact"))
                .addProperty("consentWithdrawnInWhatsApp", new ArraySchema()
                        .description("the consent the contact's own stop in WhatsApp withdrew, which a resume there gives back")
                        .items(new ObjectSchema().addProperty("category", new StringSchema()).addProperty("at", new DateTimeSchema())))
                .addProperty("journeys", new ArraySchema().items(new ObjectSchema()
                        .addProperty("journey", component("Journey"))
                        .addProperty("path", new ArraySchema().items(component("JourneyStep")))
                        .addProperty("reportRows", new ArraySchema().items(component("ReportRow")))))
                .addProperty("messages", new ArraySchema().items(component("Message")))
                .addProperty("inboundMessages", new ArraySchema().items(component("InboundMessage")))
                .addProperty("whatsAppUserIds", new ArraySchema()
                        .description("the ids Meta gives the contact's WhatsApp user (business-scoped user ids), by"
                                + " which Reach knows its messages when Meta withholds its number")
                        .items(new ObjectSchema().addProperty("userId", new StringSchema())
                                .addProperty("learnedAt", new DateTimeSchema()))));
    }

    private static Schema<?> component(String name) {
        return new Schema<>().$ref("#/components/schemas/" + name);
    }
}

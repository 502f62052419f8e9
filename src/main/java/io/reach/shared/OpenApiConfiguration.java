package io.reach.shared;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.info.License;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import java.util.Map;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springdoc.core.customizers.OperationCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The title and the bearer-token scheme of the OpenAPI document served at /v3/api-docs, and what the paging parameters
 * that many lists share mean.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    @Bean
    OpenAPI reachOpenApi() {
        return new OpenAPI()
                .info(new Info().title("Reach API").version("v1")
                        .description("WhatsApp Business campaigns and journeys. Errors share one shape: "
                                + "{\"error\": code, \"message\": text, \"details\": [...]}.")
                        .license(new License().name("Apache-2.0")))
                .components(new Components().addSecuritySchemes("bearer",
                        new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer")))
                .addSecurityItem(new SecurityRequirement().addList("bearer"));
    }

    /**
     * What the {@code id} of the paths under a flow or a contact may be, said once here rather than on each path: a
     * flow is named by its id or its name, a contact by its id or its phone number.
     */
    static final Map<String, String> ID_OR_NATURAL_KEY = Map.of(
            "/api/v1/flows/{id}", "The flow's id, or its name (percent-encoded)",
            "/api/v1/contacts/{id}", "The contact's id, or its phone number (E.164, or national in"
                    + " reach.contacts.default-region)");

    @Bean
    OpenApiCustomizer idOrNaturalKey() {
        return openApi -> openApi.getPaths().forEach((path, item) -> ID_OR_NATURAL_KEY.forEach((under, meaning) -> {
            if (path.equals(under) || path.startsWith(under + "/")) {
                item.readOperations().stream()
                        .filter(operation -> operation.getParameters() != null)
                        .flatMap(operation -> operation.getParameters().stream())
                        .filter(parameter -> "path".equals(parameter.getIn()) && "id".equals(parameter.getName()))
                        .forEach(parameter -> parameter.setDescription(meaning));
            }
        }));
    }

    /** The lists' paging parameters, said once here rather than on each list. */
    @Bean
    OperationCustomizer pagingParameters() {
        Map<String, String> meanings = Map.of(
                "limit", "How many items a page holds at most (each list says its default and its most)",
                "after", "Start after this item (the last of the page before): a full page's Link header gives the next"
                        + " page's address with it; any page is read as fast as the first",
                "offset", "How many items to skip; reads past every item it skips (after= does not); not with after=");
        return (operation, handler) -> {
            if (operation.getParameters() != null) {
                operation.getParameters().stream()
                        .filter(parameter -> "query".equals(parameter.getIn()) && parameter.getDescription() == null)
                        .forEach(parameter -> parameter.setDescription(meanings.get(parameter.getName())));
            }
            return operation;
        };
    }
}

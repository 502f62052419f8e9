package io.reach.shared;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.info.License;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
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

    /** The lists' paging parameters, said once here rather than on each list. */
    @Bean
    org.springdoc.core.customizers.OperationCustomizer pagingParameters() {
        java.util.Map<String, String> meanings = java.util.Map.of(
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

package io.reach.shared;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.info.License;
import io.swagger.v3.oas.models.media.ArraySchema;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springdoc.core.customizers.OperationCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.method.HandlerMethod;

/**
 * The title and the bearer-token scheme of the OpenAPI document served at /v3/api-docs, what the paging parameters
 * that many lists share mean, and the errors every API operation may answer, in their one shape.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    @Bean
    OpenAPI reachOpenApi() {
        return new OpenAPI()
                .info(new Info().title("Reach API").version("v1")
                        .description("WhatsApp Business campaigns and journeys. Errors share one shape: "
                                + "{\"error\": code, \"message\": text, \"details\": [...]}.")
                        .license(new License().name("Apache-2.0").identifier("Apache-2.0")))
                .components(new Components().addSecuritySchemes("bearer",
                                new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer"))
                        .addSchemas(ERROR, errorSchema()))
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

    /** The name of the error shape's schema among the document's components. */
    static final String ERROR = "ApiError";

    private static Schema<?> errorSchema() {
        return new ObjectSchema()
                .description("Reach's one error shape")
                .addProperty("error", new StringSchema().description("a code: invalid_request, not_found, unauthorized,"
                        + " database_unavailable, …"))
                .addProperty("message", new StringSchema().description("what is wrong, in words"))
                .addProperty("details", new ArraySchema().items(new ObjectSchema())
                        .description("the problems one by one, each with its field (or a flow's step) and its message"))
                .required(List.of("error", "message", "details"));
    }

    /**
     * The errors each API operation may answer, besides those it documents itself: a request refused as it is, no
     * token, an unknown id in the path, the database out of reach. Every error answer has the error shape (the
     * operation's own type is what springdoc would put there), every header a schema, and the answers go in the
     * order of their statuses: what a client generated from the document needs to read them.
     */
    @Bean
    OperationCustomizer errorAnswers() {
        return (operation, handler) -> {
            ApiResponses responses = operation.getResponses();
            if (responses == null) {
                return operation;
            }
            if (isApi(handler)) {
                responses.putIfAbsent("400", new ApiResponse().description("refused as it is, saying why: its body, a"
                        + " field of it or a query parameter (one the operation does not take too)"));
                responses.putIfAbsent("401", new ApiResponse().description("no API token, or not Reach's"
                        + " (Authorization: Bearer <token>)"));
                if (Arrays.stream(handler.getMethodParameters()).anyMatch(p -> p.hasParameterAnnotation(PathVariable.class))) {
                    responses.putIfAbsent("404", new ApiResponse().description("nothing has the id (or name, or number)"
                            + " that the path gives, saying which"));
                }
                if (!handler.hasMethodAnnotation(AnswersWithoutDatabase.class)) {
                    responses.putIfAbsent("503", new ApiResponse().description("Reach's database is out of reach"
                            + " (database_unavailable): try again after Retry-After; a request repeated with its key is"
                            + " not done twice"));
                }
            }
            ApiResponses ordered = new ApiResponses();
            responses.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(answer -> {
                if (!answer.getKey().startsWith("2") && !answer.getKey().startsWith("3")) {
                    answer.getValue().setContent(new Content().addMediaType("application/json",
                            new MediaType().schema(new Schema<>().$ref(ERROR))));
                }
                if (answer.getValue().getHeaders() != null) {
                    answer.getValue().getHeaders().values().stream()
                            .filter(header -> header.getSchema() == null && header.getContent() == null)
                            .forEach(header -> header.setSchema(new StringSchema()));
                }
                ordered.addApiResponse(answer.getKey(), answer.getValue());
            });
            operation.setResponses(ordered);
            return operation;
        };
    }

    /** Whether the operation is the API's (under /api/), not a provider's webhook. */
    private static boolean isApi(HandlerMethod handler) {
        RequestMapping onType = AnnotatedElementUtils.findMergedAnnotation(handler.getBeanType(), RequestMapping.class);
        RequestMapping onMethod = AnnotatedElementUtils.findMergedAnnotation(handler.getMethod(), RequestMapping.class);
        String path = (onType == null || onType.path().length == 0 ? "" : onType.path()[0])
                + (onMethod == null || onMethod.path().length == 0 ? "" : onMethod.path()[0]);
        return path.startsWith("/api/");
    }
}

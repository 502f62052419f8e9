package io.reach.flow;

import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The API document says once, for every path under a flow, that the flow is named by its id or its name. */
@Configuration(proxyBeanMethods = false)
class FlowPathParameters {

    static final String FLOW_PATH = "/api/v1/flows/{id}";

    @Bean
    OpenApiCustomizer flowIdOrName() {
        return openApi -> openApi.getPaths().forEach((path, item) -> {
            if (path.equals(FLOW_PATH) || path.startsWith(FLOW_PATH + "/")) {
                item.readOperations().stream()
                        .filter(operation -> operation.getParameters() != null)
                        .flatMap(operation -> operation.getParameters().stream())
                        .filter(parameter -> "path".equals(parameter.getIn()) && "id".equals(parameter.getName()))
                        .forEach(parameter -> parameter.setDescription("The flow's id, or its name (percent-encoded)"));
            }
        });
    }
}

package io.reach.shared;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.MethodParameter;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import org.springframework.web.util.UriComponentsBuilder;
import org.springframework.web.util.UriUtils;

/**
 * Refuses an API request whose query string holds a parameter its endpoint does not take, naming it and the ones the
 * endpoint takes: ignored, a misspelt parameter would change what the request does without a word
 * ({@code POST /flows/{id}/stop?cancelJourney=true} would stop the flow and leave its journeys running, and
 * {@code GET /messages?contactid=…} would list everyone's messages).
 */
@Configuration(proxyBeanMethods = false)
class UnknownQueryParameters implements WebMvcConfigurer {

    // Per endpoint, the names of its query parameters; empty for an endpoint that takes any (a map of them).
    private final Map<Method, Optional<Set<String>>> taken = new ConcurrentHashMap<>();

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(new HandlerInterceptor() {
            @Override
            public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
                // Most API requests (a backend's events, a journey's start) have no query string: nothing to look at.
                if (request.getQueryString() != null && handler instanceof HandlerMethod method) {
                    taken.computeIfAbsent(method.getMethod(), endpoint -> parameters(method))
                            .ifPresent(names -> refuseUnknown(request.getQueryString(), names));
                }
                return true;
            }
        }).addPathPatterns("/api/**");
    }

    private static void refuseUnknown(String query, Set<String> names) {
        for (String raw : UriComponentsBuilder.newInstance().query(query).build()
                .getQueryParams().keySet()) {
            String name = decoded(raw);
            if (!names.contains(name)) {
                throw ApiException.invalidField(Texts.clip(name, 100), "is not a parameter of this endpoint ("
                        + (names.isEmpty() ? "it takes none" : "it takes " + String.join(", ", names)) + ")");
            }
        }
    }

    private static String decoded(String name) {
        try {
            return UriUtils.decode(name, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException malformed) {
            return name;
        }
    }

    /** The names of an endpoint's query parameters, in alphabetical order; empty if it takes a map of any. */
    private static Optional<Set<String>> parameters(HandlerMethod method) {
        Set<String> names = new TreeSet<>();
        for (MethodParameter parameter : method.getMethodParameters()) {
            RequestParam param = parameter.getParameterAnnotation(RequestParam.class);
            if (param == null) {
                continue;
            }
            if (Map.class.isAssignableFrom(parameter.getParameterType())) {
                return Optional.empty();
            }
            String name = !param.name().isEmpty() ? param.name() : !param.value().isEmpty() ? param.value()
                    : parameter.getParameter().isNamePresent() ? parameter.getParameter().getName() : null;
            if (name == null) {
                return Optional.empty();
            }
            names.add(name);
        }
        return Optional.of(names);
    }
}

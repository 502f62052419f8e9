package io.reach.shared;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.List;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.ResolvableType;
import org.springframework.http.HttpHeaders;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Refuses an API request whose {@code Accept} takes no JSON before its endpoint does anything: Spring finds out only
 * when it writes the answer, so a message was queued (or a journey started) and then answered 406, and a client
 * retrying without an idempotency key sent it twice. Reach's API answers JSON only, which also keeps it from answering
 * XML or YAML to a client that asks (their converters are on the class path for other work).
 */
@Configuration(proxyBeanMethods = false)
class AnswerTypeCheckedFirst implements WebMvcConfigurer {

    private static final List<MediaType> ANSWERED = List.of(MediaType.APPLICATION_JSON);

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(new HandlerInterceptor() {
            @Override
            public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler)
                    throws HttpMediaTypeNotAcceptableException {
                String accept = request.getHeader(HttpHeaders.ACCEPT);
                if (accept != null && handler instanceof HandlerMethod method && answersABody(method)
                        && !takesJson(accept)) {
                    throw new HttpMediaTypeNotAcceptableException(ANSWERED);
                }
                return true;
            }
        }).addPathPatterns("/api/**");
    }

    private static boolean takesJson(String accept) {
        List<MediaType> types;
        try {
            types = MediaType.parseMediaTypes(accept);
        } catch (InvalidMediaTypeException unreadable) {
            return false;
        }
        // No types at all (an empty header) takes anything, as HTTP reads it.
        return types.isEmpty() || types.stream().anyMatch(type -> type.isCompatibleWith(MediaType.APPLICATION_JSON)
                && type.getQualityValue() > 0);
    }

    /** Whether the endpoint writes a body (a 204 or 202 without one cannot be refused for its type). */
    private static boolean answersABody(HandlerMethod method) {
        Class<?> returned = method.getReturnType().getParameterType();
        if (returned == void.class) {
            // An endpoint writing its answer itself (a contact's export) says its type in its mapping, which Spring checks.
            return false;
        }
        if (ResponseEntity.class.isAssignableFrom(returned)) {
            Class<?> body = ResolvableType.forMethodReturnType(method.getMethod()).getGeneric(0).resolve();
            return body != Void.class;
        }
        return true;
    }
}

package io.reach.shared;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Refuses API requests at once while the database is known out of reach, as providers' callbacks are (see
 * {@link DatabaseOutage}): each would wait the pool's timeout for the same 503, and a backend that keeps posting
 * meanwhile would pile up requests waiting for connections, ahead of the workers that find the database back. An
 * endpoint that answers from memory alone ({@link AnswersWithoutDatabase}) still answers.
 */
@Configuration(proxyBeanMethods = false)
class ApiRequestsDuringOutage implements WebMvcConfigurer {

    private final DatabaseOutage outage;

    ApiRequestsDuringOutage(DatabaseOutage outage) {
        this.outage = outage;
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(new HandlerInterceptor() {
            @Override
            public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
                // The handler's mark is looked at only during an outage, not on every request.
                if (outage.outOfReachSince().isPresent()
                        && !(handler instanceof HandlerMethod method && method.hasMethodAnnotation(AnswersWithoutDatabase.class))) {
                    outage.refuseRequestWhileOutOfReach();
                }
                return true;
            }
        }).addPathPatterns("/api/**");
    }
}

package io.reach.shared;

import com.zaxxer.hikari.HikariDataSource;
import java.util.Locale;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.stereotype.Component;

/**
 * Lets a statement on H2 wait for a row another transaction holds as long as a request waits for a connection
 * ({@code spring.datasource.hikari.connection-timeout}, 10 s), where H2's own default gives up after 2 s: on a busy
 * node (an audience launch's journeys being advanced) a transaction can take that long between its first write and
 * its commit, and the overlapping repeats of a keyed start or event that waited for it were answered 503 rather than
 * with its journey. PostgreSQL waits for a lock without a bound unless its {@code lock_timeout} says otherwise. An H2
 * URL that sets {@code LOCK_TIMEOUT} itself keeps it.
 */
@Component
class EmbeddedLockWait implements BeanPostProcessor {

    @Override
    public Object postProcessBeforeInitialization(Object bean, String beanName) {
        if (bean instanceof HikariDataSource hikari) {
            hikari.setJdbcUrl(withLockWait(hikari.getJdbcUrl(), hikari.getConnectionTimeout()));
        }
        return bean;
    }

    /** {@code url} with H2's lock timeout set to {@code millis}, unless it is not H2's or sets one already. */
    static String withLockWait(String url, long millis) {
        if (url == null || !url.startsWith("jdbc:h2:") || url.toUpperCase(Locale.ROOT).contains(";LOCK_TIMEOUT=")) {
            return url;
        }
        return url + ";LOCK_TIMEOUT=" + millis;
    }
}

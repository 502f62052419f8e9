package io.reach.shared;

import java.time.Clock;
import java.time.Duration;
import javax.sql.DataSource;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.flyway.autoconfigure.FlywayConfigurationCustomizer;
import org.springframework.boot.http.converter.autoconfigure.ServerHttpMessageConvertersCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.converter.json.JacksonJsonHttpMessageConverter;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The clock and the database dialect every feature shares (tests replace the clock to move time), and how the REST
 * API reads request bodies.
 */
@Configuration(proxyBeanMethods = false)
class InfrastructureConfiguration {

    @Bean
    @ConditionalOnMissingBean
    Clock clock() {
        // Microseconds, as both databases keep them: a time an answer gives is the time a later read gives back.
        return Clock.tick(Clock.systemUTC(), Duration.ofNanos(1_000));
    }

    @Bean
    Dialect dialect(DataSource dataSource) {
        return Dialect.of(dataSource);
    }

    /**
     * The migrations' {@code ${concurrently}}: on PostgreSQL an index a migration adds to a table that is already
     * large is built without blocking writes to it ({@code CREATE INDEX CONCURRENTLY}, in a migration that runs
     * outside a transaction: its {@code .sql.conf}); nodes of the version before go on meanwhile. H2 has no such thing.
     * And {@code ${where_ordering_key}}: the condition of a partial index of the stored callbacks that wait behind
     * others (V33), and {@code ${where_discarded}} that of the callbacks given up (V34); H2 has no partial indexes and
     * indexes every row.
     */
    @Bean
    FlywayConfigurationCustomizer indexesBuiltWithoutBlockingWrites(
            Dialect dialect) {
        // The dialect bean's, detected once: not a second connection at start-up.
        return configuration -> configuration.placeholders(dialect.migrationPlaceholders());
    }

    /** Reach's transactions: on H2, a commit returns once the database's file has it (see {@link DurableCommits}). */
    @Bean
    DurableCommits transactionManager(DataSource dataSource, Dialect dialect) {
        return new DurableCommits(dataSource, dialect);
    }

    /**
     * A request body may name only the fields its endpoint has: a misspelt one ({@code "opted_out"} for
     * {@code "optedOut"}) is a 400 that names it and lists the fields, where it used to be ignored and the request done
     * without it; text with the NUL character is refused too ({@link TextWithoutNul}), and so is a field written twice
     * ({@code "phone"} given two numbers), which was taken as its last. Applied after Spring Boot's own JSON converter, which it replaces for the API's requests only: what
     * Reach reads from providers (webhooks, answers) it parses itself, and keeps reading whatever fields they add.
     */
    @Bean
    @Order(Ordered.LOWEST_PRECEDENCE)
    ServerHttpMessageConvertersCustomizer strictRequestBodies(
            JsonMapper json) {
        JsonMapper strict = json.rebuild().addModule(TextWithoutNul.module())
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
        return converters -> converters.withJsonConverter(
                new JacksonJsonHttpMessageConverter(strict));
    }
}

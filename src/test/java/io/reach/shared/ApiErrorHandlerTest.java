package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.sql.SQLTransientConnectionException;
import org.apache.catalina.connector.ClientAbortException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotWritableException;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.web.context.request.async.AsyncRequestNotUsableException;

class ApiErrorHandlerTest {

    private final ApiErrorHandler handler = new ApiErrorHandler();

    @Test
    void aClientThatWentAwayWhileItsAnswerWasWrittenIsNoFailureOfReachsAndGetsNoAnswer() {
        // What Spring MVC throws when the client closed the connection mid-answer (a broken pipe).
        Exception brokenPipe = new HttpMessageNotWritableException("Could not write JSON",
                new AsyncRequestNotUsableException("ServletOutputStream failed to write: java.io.IOException: Broken pipe"));
        assertThat(ApiErrorHandler.clientWentAway(brokenPipe)).isTrue();
        assertThat(ApiErrorHandler.clientWentAway(new ClientAbortException("reset"))).isTrue();
        assertThat(handler.unexpected(brokenPipe)).isNull();
    }

    @Test
    void aDatabaseThatFailedForTheMomentIsA503ThatAsksToTryAgainAndNotA500() {
        Exception lost = new CannotGetJdbcConnectionException("Failed to obtain JDBC Connection",
                new SQLTransientConnectionException("HikariPool-1 - Connection is not available", "08001"));
        ResponseEntity<ApiError> answer = handler.unexpected(lost);
        assertThat(answer.getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(answer.getHeaders().getFirst("Retry-After")).isEqualTo("5");
        assertThat(answer.getBody().error()).isEqualTo("database_unavailable");
        // A statement the database refuses is no passing failure: trying again would fail the same way.
        assertThat(handler.unexpected(new DataIntegrityViolationException("value too long"))
                .getStatusCode()).isEqualTo(HttpStatus.INTERNAL_SERVER_ERROR);
    }

    @Test
    void anythingElseUnexpectedIsA500ThatPointsToTheLog() {
        Exception bug = new IllegalStateException("a bug", new IOException("disk full"));
        assertThat(ApiErrorHandler.clientWentAway(bug)).isFalse();
        ResponseEntity<ApiError> answer = handler.unexpected(bug);
        assertThat(answer.getStatusCode()).isEqualTo(HttpStatus.INTERNAL_SERVER_ERROR);
        assertThat(answer.getBody().error()).isEqualTo("internal_error");
    }
}

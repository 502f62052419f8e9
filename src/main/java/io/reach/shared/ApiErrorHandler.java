package io.reach.shared;

import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import org.apache.catalina.connector.ClientAbortException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.async.AsyncRequestNotUsableException;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.support.MissingServletRequestPartException;
import org.springframework.web.servlet.resource.NoResourceFoundException;
import tools.jackson.core.JacksonException;

/** Turns every failure of a request into {@link ApiError} with the right status, and never leaks internals. */
@RestControllerAdvice
class ApiErrorHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiErrorHandler.class);
    private static final int RETRY_AFTER_SECONDS = 5;

    @ExceptionHandler(ApiException.class)
    ResponseEntity<ApiError> refused(ApiException e) {
        return respond(e.status(), e.code(), e.getMessage(), e.details());
    }

    /** A body that is not JSON, or not of the endpoint's shape: says where and what, in the body's own terms. */
    @ExceptionHandler(HttpMessageNotReadableException.class)
    ResponseEntity<ApiError> unreadable(HttpMessageNotReadableException e) {
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof JacksonException failure) {
                JsonProblem problem = JsonProblem.of(failure);
                return respond(HttpStatus.BAD_REQUEST, "malformed_request", "The request body is not of the expected shape: "
                        + problem.describe(), problem.path() == null ? List.of() : List.of(new FieldProblem(problem.path(), problem.message())));
            }
        }
        return respond(HttpStatus.BAD_REQUEST, "malformed_request", "The request body is missing or is not JSON", List.of());
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ResponseEntity<ApiError> mismatch(MethodArgumentTypeMismatchException e) {
        Class<?> type = e.getRequiredType();
        String what = (type == boolean.class || type == Boolean.class ? "must be true or false"
                : type == int.class || type == Integer.class || type == long.class || type == Long.class ? "must be a whole number"
                : "has the wrong format") + ", not '" + Texts.clip(String.valueOf(e.getValue()), 100) + "'";
        return respond(HttpStatus.BAD_REQUEST, "invalid_request", e.getName() + ": " + what,
                List.of(new FieldProblem(e.getName(), what)));
    }

    @ExceptionHandler(MissingServletRequestParameterException.class)
    ResponseEntity<ApiError> missingParameter(MissingServletRequestParameterException e) {
        return respond(HttpStatus.BAD_REQUEST, "invalid_request", e.getParameterName() + ": is required",
                List.of(new FieldProblem(e.getParameterName(), "is required")));
    }

    @ExceptionHandler(MissingServletRequestPartException.class)
    ResponseEntity<ApiError> missingPart(MissingServletRequestPartException e) {
        return respond(HttpStatus.BAD_REQUEST, "invalid_request", e.getRequestPartName() + ": is required",
                List.of(new FieldProblem(e.getRequestPartName(), "is required")));
    }

    @ExceptionHandler(MaxUploadSizeExceededException.class)
    ResponseEntity<ApiError> tooLarge(MaxUploadSizeExceededException e) {
        return respond(HttpStatus.CONTENT_TOO_LARGE, "too_large", "The upload is larger than allowed", List.of());
    }

    @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
    ResponseEntity<ApiError> method(HttpRequestMethodNotSupportedException e) {
        return respond(HttpStatus.METHOD_NOT_ALLOWED, "method_not_allowed", e.getMessage(), List.of());
    }

    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    ResponseEntity<ApiError> mediaType(HttpMediaTypeNotSupportedException e) {
        return respond(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", e.getMessage(), List.of());
    }

    /**
     * A client whose {@code Accept} takes no JSON (a CSV asked for): a 406 in JSON all the same, its Content-Type set so
     * that the answer is written whatever the client asked for; it was a failure logged at ERROR, and an empty 406.
     */
    @ExceptionHandler(HttpMediaTypeNotAcceptableException.class)
    ResponseEntity<ApiError> notAcceptable(HttpMediaTypeNotAcceptableException e,
                                           HttpServletRequest request) {
        String accept = request.getHeader(HttpHeaders.ACCEPT);
        return json(ResponseEntity.status(HttpStatus.NOT_ACCEPTABLE))
                .body(new ApiError("not_acceptable", "Reach cannot answer in any type the request's Accept header"
                        + " takes (" + Texts.clip(String.valueOf(accept), 200) + "): ask for application/json", List.of()));
    }

    @ExceptionHandler(NoResourceFoundException.class)
    ResponseEntity<ApiError> noResource(NoResourceFoundException e) {
        return respond(HttpStatus.NOT_FOUND, "not_found", "No such endpoint: /" + e.getResourcePath(), List.of());
    }

    /** A unique value taken by another request at the same moment, where the feature had no words of its own for it. */
    @ExceptionHandler(DuplicateKeyException.class)
    ResponseEntity<ApiError> duplicate(DuplicateKeyException e) {
        log.info("Refused a request that collided with another on a unique value: {}", e.getMostSpecificCause().getMessage());
        return respond(HttpStatus.CONFLICT, "conflict",
                "Another request took the same unique value (a name, a phone, a key) at the same moment; read it, or try again",
                List.of());
    }

    /**
     * A provider's callback or an API request refused without waiting while the database is out of reach (said once,
     * see DatabaseOutage).
     */
    @ExceptionHandler(DatabaseOutOfReach.class)
    ResponseEntity<ApiError> outOfReach(DatabaseOutOfReach e) {
        log.debug("Answered 503 at once: {}", e.getMessage());
        return json(ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE))
                .header(HttpHeaders.RETRY_AFTER, String.valueOf(RETRY_AFTER_SECONDS))
                .body(new ApiError("database_unavailable", "Reach's database has been out of reach since " + e.since()
                        + (e.callback() ? "; this callback was not stored: deliver it again"
                                : "; nothing was done: try again in a few seconds"), List.of()));
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ApiError> unexpected(Exception e) {
        if (clientWentAway(e)) {
            // Nothing wrong with Reach, and no one left to answer.
            log.debug("The client went away before the answer was written: {}", e.toString());
            return null;
        }
        if (e instanceof RuntimeException failure && PassingFailures.isPassing(failure)) {
            // A database restart, a failover, a lock held too long: the caller's retry is the cure, not a bug report.
            log.warn("Answered 503 to a request that failed on the database for the moment: {}",
                    NestedExceptionUtils.getMostSpecificCause(failure).toString());
            return json(ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE))
                    .header(HttpHeaders.RETRY_AFTER, String.valueOf(RETRY_AFTER_SECONDS))
                    .body(new ApiError("database_unavailable", "Reach's database could not be reached or was busy for the"
                            + " moment (a lost connection, a lock or a statement that timed out); try again in a few seconds."
                            + " A start, an event or a send repeated with the same key is not done twice", List.of()));
        }
        log.error("Unexpected failure while handling a request", e);
        return respond(HttpStatus.INTERNAL_SERVER_ERROR, "internal_error",
                "Reach failed to handle the request; the server log has the details", List.of());
    }

    /** Whether writing the answer failed because the client closed the connection (a broken pipe, a reset). */
    static boolean clientWentAway(Throwable failure) {
        return PassingFailures.hasCause(failure, cause ->
                cause instanceof AsyncRequestNotUsableException
                        || cause instanceof ClientAbortException);
    }

    /**
     * An error in JSON, its Content-Type set so that it is written whatever the request's {@code Accept} takes: left to
     * Spring's negotiation, a refusal to a client asking for {@code text/csv} became an empty 500.
     */
    private static ResponseEntity<ApiError> respond(HttpStatus status, String code, String message, List<?> details) {
        return json(ResponseEntity.status(status)).body(new ApiError(code, message, details));
    }

    private static ResponseEntity.BodyBuilder json(ResponseEntity.BodyBuilder answer) {
        return answer.contentType(MediaType.APPLICATION_JSON);
    }
}

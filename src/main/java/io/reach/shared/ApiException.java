package io.reach.shared;

import java.util.List;
import org.springframework.http.HttpStatus;

/** A refusal that reaches the API caller as Reach's one JSON error shape with the given HTTP status. */
public class ApiException extends RuntimeException {

    private final HttpStatus status;
    private final String code;
    private final List<?> details;

    public ApiException(HttpStatus status, String code, String message, List<?> details) {
        super(message);
        this.status = status;
        this.code = code;
        this.details = details == null ? List.of() : List.copyOf(details);
    }

    public ApiException(HttpStatus status, String code, String message) {
        this(status, code, message, List.of());
    }

    public static ApiException badRequest(String code, String message, List<?> details) {
        return new ApiException(HttpStatus.BAD_REQUEST, code, message, details);
    }

    /** One invalid field: the details name it so the caller knows what to fix. */
    public static ApiException invalidField(String field, String message) {
        return badRequest("invalid_request", field + ": " + message, List.of(new FieldProblem(field, message)));
    }

    public static ApiException notFound(String what, Object id) {
        return new ApiException(HttpStatus.NOT_FOUND, "not_found", what + " " + id + " does not exist");
    }

    public static ApiException conflict(String message) {
        return new ApiException(HttpStatus.CONFLICT, "conflict", message);
    }

    public HttpStatus status() {
        return status;
    }

    public String code() {
        return code;
    }

    public List<?> details() {
        return details;
    }
}

package io.reach.shared;

import java.time.temporal.Temporal;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.TokenStreamContext;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.core.exc.UnexpectedEndOfInputException;
import tools.jackson.core.io.ContentReference;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.PropertyBindingException;
import tools.jackson.databind.exc.ValueInstantiationException;

/**
 * Why a JSON body could not be read, said in the body's own terms: where (a path such as {@code steps[2].branches})
 * and what is wrong (an unknown field, text where a number goes, JSON that does not parse), never Reach's Java types.
 */
public record JsonProblem(String path, String message) {

    /** The problem {@code failure} reports; {@code path} is null when it is the document as a whole. */
    public static JsonProblem of(JacksonException failure) {
        String path = path(failure.getPath());
        return new JsonProblem(path, what(failure));
    }

    /** "path: message", or the message alone for the document as a whole. */
    public String describe() {
        return path == null ? message : path + ": " + message;
    }

    /** The index of the first array element the path goes through under {@code field}, e.g. 2 for steps[2].next. */
    public static int indexUnder(JacksonException failure, String field) {
        List<JacksonException.Reference> references = failure.getPath();
        for (int i = 0; i + 1 < references.size(); i++) {
            if (field.equals(references.get(i).getPropertyName()) && references.get(i + 1).getIndex() >= 0) {
                return references.get(i + 1).getIndex();
            }
        }
        return -1;
    }

    private static String path(List<JacksonException.Reference> references) {
        StringBuilder path = new StringBuilder();
        for (JacksonException.Reference reference : references) {
            if (reference.getPropertyName() != null) {
                path.append(path.isEmpty() ? "" : ".").append(reference.getPropertyName());
            } else if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.isEmpty() ? null : path.toString();
    }

    private static String what(JacksonException failure) {
        return switch (failure) {
            case StreamReadException syntax -> "is not valid JSON: " + syntax(syntax) + at(syntax.getLocation());
            case PropertyBindingException unknown -> "is not a field here" + known(unknown.getKnownPropertyIds());
            case InvalidFormatException nul when TextWithoutNul.PROBLEM.equals(nul.getOriginalMessage()) -> TextWithoutNul.PROBLEM;
            case InvalidFormatException format -> "'" + Texts.clip(String.valueOf(format.getValue()), 100) + "' is not "
                    + kind(format.getTargetType());
            case MismatchedInputException mismatch when mismatch.getCurrentToken() == JsonToken.VALUE_NULL ->
                    "must not be null";
            case MismatchedInputException mismatch -> "must be " + kind(mismatch.getTargetType())
                    + (mismatch.getCurrentToken() == null ? "" : ", not " + token(mismatch.getCurrentToken()));
            case ValueInstantiationException refused when refused.getCause() != null && refused.getCause().getMessage() != null ->
                    Texts.clip(refused.getCause().getMessage(), 300);
            default -> "could not be read";
        };
    }

    /** What is wrong with JSON that does not parse: the array or object it left open, or else the parser's words. */
    private static String syntax(StreamReadException syntax) {
        String unclosed = syntax instanceof UnexpectedEndOfInputException end ? unclosed(end) : null;
        return unclosed != null ? "it ends before the " + unclosed + " is closed"
                : Texts.clip(withoutStartMarker(syntax.getOriginalMessage()), 300);
    }

    /**
     * The array or object that a body ending too soon left open, with where it opened ("array opened at line 1,
     * column 11"); null when the parser is gone or nothing was open, or for a text or a name cut short, which Jackson's
     * own message says (a closing quote missing).
     */
    private static String unclosed(UnexpectedEndOfInputException end) {
        if (!(end.processor() instanceof JsonParser parser) || end.getTokenBeingDecoded() == JsonToken.VALUE_STRING
                || end.getTokenBeingDecoded() == JsonToken.PROPERTY_NAME || parser.streamReadContext() == null
                || parser.streamReadContext().inRoot()) {
            return null;
        }
        TokenStreamContext open = parser.streamReadContext();
        TokenStreamLocation start = open.startLocation(ContentReference.unknown());
        return (open.inArray() ? "array" : "object") + (start == null || start.getLineNr() < 1 ? ""
                : " opened at line " + start.getLineNr() + ", column " + start.getColumnNr());
    }

    // Jackson names where an unclosed array or object started by its source, which Reach's mapper keeps out of messages
    // ("[Source: REDACTED …; byte offset: #UNKNOWN]"): of no use to the one who sent the body.
    private static String withoutStartMarker(String message) {
        return message == null ? "" : message.replaceFirst("(?s) \\(start marker at .*\\)$", "");
    }

    private static String at(TokenStreamLocation location) {
        return location == null || location.getLineNr() < 1 ? ""
                : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }

    private static String known(Collection<Object> fields) {
        if (fields == null || fields.isEmpty()) {
            return "";
        }
        return " (the fields are " + String.join(", ", fields.stream().map(String::valueOf).sorted().toList()) + ")";
    }

    /** A Java type as the JSON it is read from. */
    private static String kind(Class<?> type) {
        if (type == null) {
            return "a value of another kind";
        }
        if (type.isEnum()) {
            return "one of " + String.join(", ", Arrays.stream(type.getEnumConstants())
                    .map(constant -> ((Enum<?>) constant).name().toLowerCase()).toList());
        }
        if (CharSequence.class.isAssignableFrom(type) || type == char.class || type == Character.class) {
            return "text";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (type.isPrimitive() || Number.class.isAssignableFrom(type)) {
            return "a number";
        }
        if (type == UUID.class) {
            return "an id (a UUID)";
        }
        if (Temporal.class.isAssignableFrom(type)) {
            return "a date and time such as 2026-11-22T09:30:00Z";
        }
        if (type.isArray() || Collection.class.isAssignableFrom(type)) {
            return "an array";
        }
        if (Map.class.isAssignableFrom(type)) {
            return "an object";
        }
        return "an object";
    }

    private static String token(JsonToken token) {
        return switch (token) {
            case START_OBJECT, END_OBJECT, PROPERTY_NAME -> "an object";
            case START_ARRAY, END_ARRAY -> "an array";
            case VALUE_STRING -> "text";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "true or false";
            case VALUE_NULL -> "null";
            default -> "something else";
        };
    }
}

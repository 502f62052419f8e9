package io.reach.flow;

import static io.reach.flow.FlowValidator.blank;

import io.reach.shared.Texts;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a {@code condition} step's sides and operator decide: the problems that would have it take one branch for every
 * journey or leave a side unused, and the branch only a journey with the value it reads takes.
 */
final class ConditionCheck {

    // In the order docs/flows.md lists them, as a problem names them.
    static final List<String> OPERATORS = List.of("equals", "not_equals", "contains", "exists", "not_exists",
            "greater_than", "less_than", "at_least", "at_most");

    private ConditionCheck() {}

    /**
     * A condition's sides and operator: a comparison without its right side compared with an empty text (equals took
     * every contact without the value, contains took everybody), an {@code exists} left its right side unused, and
     * sides without a placeholder ({@code contact.city} for {@code {{contact.city}}}) sent every journey one way.
     */
    static void check(FlowStep.Condition condition, String id, List<FlowProblem> problems) {
        if (condition == null) {
            problems.add(new FlowProblem(id, "condition: needed: {\"left\", \"operator\", \"right\"}, such as {\"left\": "
                    + "\"{{contact.city}}\", \"operator\": \"equals\", \"right\": \"Amsterdam\"}"));
            return;
        }
        if (blank(condition.left())) {
            problems.add(new FlowProblem(id, "condition.left: needed: the value the condition reads, such as {{contact.city}}"));
        }
        String operator = condition.operator();
        String operators = "the operators are " + String.join(", ", OPERATORS);
        if (operator == null || operator.isBlank()) {
            problems.add(new FlowProblem(id, "condition.operator: needed; " + operators));
        } else if (!OPERATORS.contains(operator)) {
            problems.add(new FlowProblem(id, "condition.operator: '" + Texts.clip(operator, 40) + "' is no operator"
                    + meantOperator(operator).map(meant -> " (did you mean " + meant + "?)").orElse("") + "; " + operators));
        } else {
            checkSides(condition, operator, id, problems);
        }
        if (!blank(condition.left()) && !holdsPlaceholder(condition.left()) && !holdsPlaceholder(condition.right())) {
            String left = condition.left().strip();
            problems.add(new FlowProblem(id, "condition: neither left ('" + Texts.clip(left, 40) + "') nor right holds a"
                    + " placeholder, so every journey would take the same branch; a value is read in braces"
                    + (VALUE_NAME.matcher(left).matches() ? " (did you mean {{" + left + "}}?)" : ", such as {{contact.city}}")));
        }
    }

    /** The sides {@code operator} (one of {@link #OPERATORS}) reads. */
    private static void checkSides(FlowStep.Condition condition, String operator, String id, List<FlowProblem> problems) {
        boolean unary = operator.equals("exists") || operator.equals("not_exists");
        String alwaysThere = unary ? alwaysThere(condition.left()) : null;
        if (alwaysThere != null) {
            problems.add(new FlowProblem(id, "condition: {{" + alwaysThere + "}} always has a value, so " + operator + " would"
                    + " take the same branch for every journey" + (alwaysThere.equals("contact.phone") ? ""
                    : ": it is true or false, compared with equals \"true\"")));
        }
        if (unary && condition.right() != null) {
            problems.add(new FlowProblem(id, "condition.right: " + operator + " reads left alone, which would leave right"
                    + " unused (to compare left with a value, use equals)"));
        } else if (!unary && condition.right() == null) {
            problems.add(new FlowProblem(id, "condition.right: needed: " + operator + " compares left with it (\"\" for an"
                    + " empty value; whether there is a value at all is exists or not_exists)"));
        }
    }

    private static final Pattern VALUE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z0-9_]+)*");

    /** The operator written as a symbol or a near spelling of one ("==", "greater", "not_equal"). */
    private static Optional<String> meantOperator(String written) {
        String symbol = switch (written.strip()) {
            case "=", "==", "===", "eq" -> "equals";
            case "!=", "<>", "!==", "ne", "neq" -> "not_equals";
            case ">", "gt" -> "greater_than";
            case "<", "lt" -> "less_than";
            case ">=", "=>", "gte", "ge", "greater_or_equal", "greater_than_or_equal" -> "at_least";
            case "<=", "=<", "lte", "le", "less_or_equal", "less_than_or_equal" -> "at_most";
            case "has", "includes" -> "contains";
            default -> null;
        };
        if (symbol != null) {
            return Optional.of(symbol);
        }
        return PlaceholderSyntax.closest(written.strip().replace(' ', '_').replace('-', '_'), OPERATORS);
    }

    /** The value {@code left} reads alone when it is one every contact has: its number, a tag's true or false. */
    private static String alwaysThere(String left) {
        String name = soleName(left);
        return name != null && (name.equals("contact.phone") || name.equals("contact.not_on_whatsapp")
                || name.startsWith("contact.has_tag.")) ? name : null;
    }

    /** The name of the value {@code left} reads when it is one placeholder alone, without a default; else null. */
    static String soleName(String left) {
        if (left == null || !PlaceholderSyntax.PLACEHOLDER.matcher(left.strip()).matches()) {
            return null;
        }
        List<String> names = PlaceholderSyntax.names(left);
        return names.size() == 1 ? names.getFirst() : null;
    }

    // Braces not closed are a placeholder problem of their own, said once.
    private static boolean holdsPlaceholder(String text) {
        return text != null && text.contains("{{");
    }

    /**
     * The branch of a condition that reads one value alone ({@code {{total}}}, without a default) that only a journey
     * with a value takes: {@code true} of exists, or of equals a text that is not empty; {@code false} of not_exists.
     */
    static String branchWithAValue(FlowStep step) {
        FlowStep.Condition condition = step.condition();
        if (!StepTypes.CONDITION.equals(step.type()) || condition == null || step.branches() == null
                || soleName(condition.left()) == null) {
            return null;
        }
        return switch (String.valueOf(condition.operator())) {
            case "exists" -> "true";
            case "not_exists" -> "false";
            case "equals" -> condition.right() != null && !condition.right().isEmpty() && !condition.right().contains("{{")
                    ? "true" : null;
            default -> null;
        };
    }
}

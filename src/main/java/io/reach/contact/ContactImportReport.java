package io.reach.contact;

import java.util.List;

/**
 * What a CSV import did: counts per outcome ({@code failed}: the refused lines), and one entry per refused line for
 * the first thousand of them.
 */
public record ContactImportReport(int lines, int created, int updated, int unchanged, int failed, List<LineError> errors) {

    /** A refused line: its number in the file (the header is line 1), the column at fault and why. */
    public record LineError(long line, String column, String message) {}
}

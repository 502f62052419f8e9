package io.reach.contact;

import io.reach.shared.ApiException;
import io.reach.shared.FieldProblem;
import io.reach.shared.MessageCategory;
import io.reach.shared.PassingFailures;
import java.io.BufferedReader;
import java.io.FilterReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.commons.csv.CSVException;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * One CSV import. Columns: {@code phone} (required), {@code tags} and {@code consent} (values separated by ';'),
 * {@code opted_out}, {@code time_zone} (these five in any letter case); every other column is an attribute. Lines are
 * upserted by phone and only ever add: a cell left empty changes nothing, so importing the same file twice changes
 * nothing the second time. The text is UTF-8 (a byte order mark is skipped); the values are separated by commas, or
 * by semicolons or tabs when the header line has no comma (as spreadsheets save CSV in many locales).
 */
class ContactCsvImport {

    private static final Logger log = LoggerFactory.getLogger(ContactCsvImport.class);

    static final int CHUNK = 500;
    // How long a chunk is tried again after failures that pass before the import fails (the lines before it stay).
    private static final Duration CHUNK_PATIENCE = Duration.ofSeconds(10);

    /** A long import logs how far it got every so many lines (a million take a minute or more). */
    private static final int LOG_EVERY = 100_000;
    private static final Set<String> RESERVED = Set.of("phone", "tags", "consent", "opted_out", "time_zone");

    private final Contacts contacts;
    private final ContactStore store;
    private final TransactionTemplate transactions;

    private int lines;
    private int created;
    private int updated;
    private int unchanged;
    private int failed;
    private final List<ContactImportReport.LineError> errors = new ArrayList<>();

    /** The refused lines an answer lists; a file of a million bad lines is counted whole but listed only this far. */
    static final int LISTED_ERRORS = 1000;

    /** What a value holding a byte its character set does not have is refused with. */
    private final String undecodable;

    ContactCsvImport(Contacts contacts, ContactStore store, TransactionTemplate transactions, Charset charset) {
        this.contacts = contacts;
        this.store = store;
        this.transactions = transactions;
        this.undecodable = charset.equals(StandardCharsets.UTF_8) ? NOT_UTF_8_PROBLEM
                : "is not " + charset.name() + " text, as the Content-Type says the file is: save the file as CSV UTF-8";
    }

    /** A line that passed validation, ready to be merged into the contact with its phone. */
    private record ValidLine(long line, String phone, Map<String, String> attributes, Set<String> tags,
                             Set<MessageCategory> consent, boolean optOut, String timeZone) {}

    ContactImportReport run(Reader text) {
        BufferedReader csv = new BufferedReader(text);
        char delimiter = delimiterAfterByteOrderMark(csv);
        CSVFormat format = CSVFormat.DEFAULT.builder().setDelimiter(delimiter).setHeader().setSkipHeaderRecord(true)
                .setTrim(true).setIgnoreEmptyLines(true).setIgnoreSurroundingSpaces(true).get();
        RecordBound bound = new RecordBound(csv, MAX_RECORD_CHARS);
        try (CSVParser parser = CSVParser.builder().setReader(bound).setFormat(format).get()) {
            List<String> header = checkHeader(parser.getHeaderNames());
            bound.recordRead();
            List<ValidLine> chunk = new ArrayList<>(CHUNK);
            Iterator<CSVRecord> records = parser.iterator();
            // The line the last record (or the header) ended on: a malformed record starts on the next.
            long lastLine = parser.getCurrentLineNumber();
            while (true) {
                CSVRecord record;
                try {
                    if (!records.hasNext()) {
                        break;
                    }
                    record = records.next();
                    bound.recordRead();
                } catch (UncheckedIOException | IllegalStateException malformed) {
                    lines++;
                    refuse(lastLine + 1, null, "malformed CSV, the rest of the file was not read: " + malformedRecord(malformed));
                    break;
                }
                lines++;
                long lineNumber = firstLine(record, lastLine, parser.getCurrentLineNumber());
                lastLine = parser.getCurrentLineNumber();
                validate(record, lineNumber, header).ifPresent(chunk::add);
                if (chunk.size() == CHUNK) {
                    write(chunk);
                    chunk.clear();
                }
                if (lines % LOG_EVERY == 0) {
                    log.info("Importing contacts: {} lines read, {} created, {} updated, {} unchanged, {} refused", lines,
                            created, updated, unchanged, failed);
                }
            }
            write(chunk);
            if (lines >= LOG_EVERY) {
                log.info("Imported contacts: {} lines, {} created, {} updated, {} unchanged, {} refused", lines, created,
                        updated, unchanged, failed);
            }
        } catch (CSVException malformedHeader) {
            throw ApiException.badRequest("invalid_csv", "The CSV header is not usable, nothing was imported: malformed CSV: "
                    + malformedHeader.getMessage(), List.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (IllegalArgumentException badHeader) {
            throw ApiException.badRequest("invalid_csv", "The CSV header is not usable: " + badHeader.getMessage(), List.of());
        }
        return new ContactImportReport(lines, created, updated, unchanged, failed, List.copyOf(errors));
    }

    /**
     * The line a record starts on, which the parser does not tell: the line it ends on ({@code endLine}), less the line
     * breaks quoted in its values (an address over two lines), and no earlier than the line after the record before
     * ({@code lastLine}; empty lines between them are skipped, and a line break trimmed off a value's edge is not counted).
     */
    static long firstLine(CSVRecord record, long lastLine, long endLine) {
        long breaks = 0;
        for (String value : record) {
            breaks += value.chars().filter(c -> c == '\n').count();
        }
        return Math.max(lastLine + 1, endLine - breaks);
    }

    /** The longest header line read ahead to find the delimiter (a header of thousands of columns fits). */
    static final int HEADER_READ_AHEAD = 1 << 20;

    private static final char BYTE_ORDER_MARK = '\uFEFF';

    /**
     * Skips the byte order mark that spreadsheets write at the start of a UTF-8 CSV, and finds the delimiter from the
     * header line, which it leaves unread: a comma, unless the line has none and has a semicolon (or a tab).
     */
    private static char delimiterAfterByteOrderMark(BufferedReader csv) {
        try {
            csv.mark(1);
            if (csv.read() != BYTE_ORDER_MARK) {
                csv.reset();
            }
            csv.mark(HEADER_READ_AHEAD);
            String header = csv.readLine();
            try {
                csv.reset();
            } catch (IOException headerTooLong) {
                throw ApiException.badRequest("invalid_csv", "The CSV header is not usable, nothing was imported: its"
                        + " first line is longer than " + HEADER_READ_AHEAD + " characters", List.of());
            }
            if (header == null || header.indexOf(',') >= 0) {
                return ',';
            }
            return header.indexOf(';') >= 0 ? ';' : header.indexOf('\t') >= 0 ? '\t' : ',';
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The header's columns, the five known ones in lower case, or a 400 naming every column that is not usable. */
    private List<String> checkHeader(List<String> names) {
        List<FieldProblem> problems = new ArrayList<>();
        List<String> columns = new ArrayList<>();
        for (String name : names) {
            String known = name.toLowerCase(Locale.ROOT);
            String column = RESERVED.contains(known) ? known : name;
            if (columns.contains(column)) {
                problems.add(new FieldProblem(column, "appears twice in the header"));
            } else if (name.indexOf(NOT_UTF_8) >= 0) {
                problems.add(new FieldProblem(name, undecodable));
            } else if (name.indexOf(NUL) >= 0) {
                problems.add(new FieldProblem(name, NUL_PROBLEM));
            } else if (!RESERVED.contains(column) && !Contacts.ATTRIBUTE_NAME.matcher(column).matches()) {
                problems.add(new FieldProblem(name, "is not a usable attribute name (letters, digits and _, not starting with a digit)"));
            }
            columns.add(column);
        }
        if (names.isEmpty()) {
            throw ApiException.badRequest("invalid_csv", "The CSV is empty: it needs a header line with a 'phone' column,"
                    + " then a line per contact", List.of(new FieldProblem("phone", "the header needs a 'phone' column")));
        }
        if (!columns.contains("phone")) {
            problems.addFirst(new FieldProblem("phone", "the header needs a 'phone' column"));
        }
        if (!problems.isEmpty()) {
            throw ApiException.badRequest("invalid_csv", "The CSV header is not usable, nothing was imported: "
                    + (columns.contains("phone") ? "'" + problems.getFirst().field() + "' " : "")
                    + problems.getFirst().message(), problems);
        }
        return columns;
    }

    /** What a byte that is not UTF-8 is read as (the reader replaces it). */
    private static final char NOT_UTF_8 = '\uFFFD';
    private static final String NOT_UTF_8_PROBLEM = "is not UTF-8 text: save the file as CSV UTF-8";
    // PostgreSQL's text cannot hold it; a file saved as UTF-16 is full of it.
    private static final char NUL = '\u0000';
    private static final String NUL_PROBLEM = "holds the NUL character (U+0000), as UTF-16 text does: save the file as CSV UTF-8";

    private Optional<ValidLine> validate(CSVRecord record, long lineNumber, List<String> header) {
        if (!record.isConsistent()) {
            return refuse(lineNumber, null, "has " + record.size() + " values but the header has " + header.size() + " columns");
        }
        for (int i = 0; i < header.size(); i++) {
            if (record.get(i).indexOf(NOT_UTF_8) >= 0) {
                return refuse(lineNumber, header.get(i), undecodable);
            }
            if (record.get(i).indexOf(NUL) >= 0) {
                return refuse(lineNumber, header.get(i), NUL_PROBLEM);
            }
        }
        PhoneNumbers.Result phone = contacts.phoneNumbers().normalise(record.get(header.indexOf("phone")));
        if (!phone.isValid()) {
            return refuse(lineNumber, "phone", phone.problem());
        }
        Map<String, String> attributes = new TreeMap<>();
        Set<String> tags = new TreeSet<>();
        Set<MessageCategory> consent = new TreeSet<>();
        boolean optOut = false;
        String timeZone = null;
        for (int i = 0; i < header.size(); i++) {
            String column = header.get(i);
            String value = record.get(i);
            if (value == null || value.isEmpty()) {
                continue;
            }
            switch (column) {
                case "phone" -> { }
                case "tags" -> {
                    for (String tag : value.split(";")) {
                        if (tag.isBlank()) {
                            continue;
                        }
                        String problem = Contacts.tagProblem(tag);
                        if (problem != null) {
                            return refuse(lineNumber, column, problem);
                        }
                        tags.add(tag.trim());
                    }
                }
                case "consent" -> {
                    for (String name : value.split(";")) {
                        if (name.isBlank()) {
                            continue;
                        }
                        Optional<MessageCategory> category = MessageCategory.parse(name);
                        if (category.isEmpty()) {
                            return refuse(lineNumber, column, "'" + name.trim() + "' is not a message category ("
                                    + MessageCategory.allowedValues() + ")");
                        }
                        consent.add(category.get());
                    }
                }
                case "opted_out" -> {
                    switch (value.toLowerCase(Locale.ROOT)) {
                        case "true", "yes", "1" -> optOut = true;
                        case "false", "no", "0" -> { }
                        default -> {
                            return refuse(lineNumber, column, "'" + value + "' is not true or false");
                        }
                    }
                }
                case "time_zone" -> {
                    try {
                        timeZone = Contacts.ianaTimeZone(value);
                    } catch (IllegalArgumentException refused) {
                        return refuse(lineNumber, column, refused.getMessage());
                    }
                }
                default -> {
                    if (value.length() > Contacts.MAX_VALUE_LENGTH) {
                        return refuse(lineNumber, column, "is longer than " + Contacts.MAX_VALUE_LENGTH + " characters");
                    }
                    attributes.put(column, value);
                }
            }
        }
        return Optional.of(new ValidLine(lineNumber, phone.e164(), attributes, tags, consent, optOut, timeZone));
    }

    private Optional<ValidLine> refuse(long line, String column, String message) {
        failed++;
        if (errors.size() < LISTED_ERRORS) {
            errors.add(new ContactImportReport.LineError(line, column, message));
        }
        return Optional.empty();
    }

    private void write(List<ValidLine> chunk) {
        if (chunk.isEmpty()) {
            return;
        }
        int[] before = {created, updated, unchanged};
        // A chunk is written whole or not at all, so it can be written again, and counted again: after another import
        // created one of its phones meanwhile, and after a failure that passes (a deadlock with other work on its
        // contacts, such as their replies coming in, a connection lost), rather than failing the import half-way.
        PassingFailures.retry(() -> {
            try {
                countFrom(before);
                transactions.executeWithoutResult(tx -> upsertInLockOrder(chunk));
            } catch (DuplicateKeyException concurrentInsert) {
                countFrom(before);
                transactions.executeWithoutResult(tx -> upsertInLockOrder(chunk));
            }
        }, CHUNK_PATIENCE);
    }

    private void countFrom(int[] counts) {
        created = counts[0];
        updated = counts[1];
        unchanged = counts[2];
    }

    /**
     * Files that name the same contacts may be imported at once, each in an order of its own: the contacts that exist
     * are locked first, all together (see {@link ContactStore#lockByPhones}), and the new ones are created in phone
     * order, so that two imports never wait on each other in a circle (a deadlock, which failed the import). The lines
     * of one phone keep their order.
     */
    private void upsertInLockOrder(List<ValidLine> chunk) {
        List<ValidLine> byPhone = chunk.stream().sorted(Comparator.comparing(ValidLine::phone)).toList();
        store.lockByPhones(byPhone.stream().map(ValidLine::phone).distinct().toList());
        byPhone.forEach(this::upsert);
    }

    private void upsert(ValidLine line) {
        Optional<Contact> existing = store.findByPhoneForUpdate(line.phone());
        Contact base = existing.orElseGet(() -> contacts.blank(line.phone()));
        Map<String, String> attributes = new TreeMap<>(base.attributes());
        attributes.putAll(line.attributes());
        Set<String> tags = new TreeSet<>(base.tags());
        tags.addAll(line.tags());
        Consent consent = base.consent();
        for (MessageCategory category : line.consent()) {
            consent = consent.grant(category);
        }
        boolean optedOut = base.optedOut() || line.optOut();
        Contact merged = new Contact(base.id(), base.phone(), attributes, tags, consent, optedOut,
                optedOut && !base.optedOut() ? base.updatedAt() : base.optedOutAt(),
                line.timeZone() == null ? base.timeZone() : line.timeZone(), base.notOnWhatsApp(),
                base.createdAt(), base.updatedAt(), base.lastActiveAt(),
                Contacts.stoppedInWhatsAppAfter(base, consent));
        if (existing.isEmpty()) {
            store.insert(merged);
            created++;
        } else if (Contacts.sameContent(base, merged)) {
            unchanged++;
        } else {
            Contact stamped = contacts.touched(merged);
            if (optedOut && !base.optedOut()) {
                stamped = new Contact(stamped.id(), stamped.phone(), stamped.attributes(), stamped.tags(),
                        stamped.consent(), true, stamped.updatedAt(), stamped.timeZone(), stamped.notOnWhatsApp(),
                        stamped.createdAt(), stamped.updatedAt(), stamped.lastActiveAt(),
                        stamped.marketingStoppedInWhatsAppAt());
            }
            contacts.saveChanged(base, stamped);
            updated++;
        }
    }

    /**
     * The most characters one record may take: a contact's most (500 attributes of 4,000 characters, 500 tags) twice
     * over. A quote left open makes the rest of the file one value, which the parser would hold whole in memory (a
     * 70 MB file took 200 MB); past this bound the import stops there instead.
     */
    static final int MAX_RECORD_CHARS = 4 << 20;

    /** What is wrong with a record the parser could not read, in the file's terms where the parser's are obscure. */
    private static String malformedRecord(Throwable malformed) {
        String message = rootMessage(malformed);
        if (message != null && message.contains("EOF reached before encapsulated token finished")) {
            return "a quote opened on this line is never closed";
        }
        return message;
    }

    /**
     * The text the parser reads, counted from the end of the last record: one that grows past {@code maxChars}
     * (a quote left open) fails the read.
     */
    static final class RecordBound extends FilterReader {

        private final int maxChars;
        private long sinceRecord;

        RecordBound(Reader in, int maxChars) {
            super(in);
            this.maxChars = maxChars;
        }

        /** A record was read whole: the next one starts counting. */
        void recordRead() {
            sinceRecord = 0;
        }

        @Override
        public int read() throws IOException {
            int c = super.read();
            count(c < 0 ? 0 : 1);
            return c;
        }

        @Override
        public int read(char[] buffer, int offset, int length) throws IOException {
            int read = super.read(buffer, offset, length);
            count(Math.max(read, 0));
            return read;
        }

        private void count(int chars) throws IOException {
            sinceRecord += chars;
            if (sinceRecord > maxChars) {
                throw new IOException("a record (from this line on) is longer than " + maxChars
                        + " characters: is a quote left open?");
            }
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage();
    }
}

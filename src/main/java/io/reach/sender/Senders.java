package io.reach.sender;

import io.reach.contact.PhoneNumbers;
import io.reach.shared.ApiException;
import io.reach.shared.FieldProblem;
import io.reach.shared.Ids;
import io.reach.shared.PassingFailures;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/** The sender feature's API: register, change and delete WhatsApp, SMS and voice senders and look them (and their secrets) up. */
@Service
public class Senders {

    public static final String DEFAULT_GRAPH_BASE_URL = "https://graph.facebook.com";
    public static final String DEFAULT_GRAPH_VERSION = "v23.0";
    public static final String DEFAULT_TWILIO_BASE_URL = "https://api.twilio.com";
    static final int DEFAULT_THROUGHPUT = 80;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,100}");
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,64}");
    private static final Pattern VERSION = Pattern.compile("v[0-9]{1,3}\\.[0-9]{1,3}");
    private static final Pattern ALPHANUMERIC_SENDER = Pattern.compile("[A-Za-z0-9 ]{1,11}");
    private static final Pattern TWILIO_ACCOUNT = Pattern.compile("AC[0-9a-fA-F]{32}");
    private static final Set<String> SMPP_SETTINGS = Set.of("host", "port", "systemId", "systemType", "window",
            "submitsPerSecond", "enquireLinkSeconds");
    private static final Set<String> TWILIO_SETTINGS = Set.of("accountSid", "baseUrl", "language", "voice");
    // Sends and webhooks look a sender up on every message. The senders are a handful of rows, so a snapshot of all
    // of them, taken again after 10 s and at once after a change made through this process, keeps that off the
    // database; a change made through another node shows here within those 10 s.
    private static final Duration SNAPSHOT_LIFE = Duration.ofSeconds(10);
    private static final Duration SNAPSHOT_RETRY = Duration.ofSeconds(1);
    private static final Logger log = LoggerFactory.getLogger(Senders.class);

    private final SenderStore store;
    private final Clock clock;
    private final TransactionTemplate transactions;
    private final List<SenderUsers> users;
    private final LongSupplier ticker;
    private volatile Snapshot snapshot;
    /** Whether a thread is reading the senders again for a snapshot that is due (see {@link #snapshot()}). */
    private final AtomicBoolean refreshing = new AtomicBoolean();

    /** The senders as read, and when ({@link #ticker}) they are read again. */
    private record Snapshot(List<SenderStore.Row> rows, long dueAt) {}

    @Autowired
    Senders(SenderStore store, Clock clock, TransactionTemplate transactions, List<SenderUsers> users) {
        this(store, clock, transactions, users, System::nanoTime);
    }

    /** {@code ticker}: the snapshot's age, in nanoseconds as {@link System#nanoTime()} counts them (a test moves it). */
    Senders(SenderStore store, Clock clock, TransactionTemplate transactions, List<SenderUsers> users,
            LongSupplier ticker) {
        this.store = store;
        this.clock = clock;
        this.transactions = transactions;
        this.users = users;
        this.ticker = ticker;
    }

    public List<Sender> list() {
        return store.all().stream().map(SenderStore.Row::sender).toList();
    }

    public Sender get(UUID id) {
        return row(id).sender();
    }

    /** A WhatsApp sender with its secrets. */
    public WhatsAppAccount account(UUID id) {
        return cachedRow(id).whatsApp();
    }

    /** An SMS or voice sender with its secret. */
    public ProviderAccount providerAccount(UUID id) {
        return cachedRow(id).provider();
    }

    /** The SMS or voice senders of a channel, with their secrets (for the code that keeps connections). */
    public List<ProviderAccount> providerAccounts(String channel) {
        return store.all().stream().filter(r -> r.sender().channel().equals(channel)).map(SenderStore.Row::provider).toList();
    }

    /**
     * The ids of a channel's senders that go through this provider, as the snapshot has them (a sender added through
     * another node shows within its 10 s): the SMS dispatcher asks on every round, which must not cost a query.
     */
    public Set<UUID> idsOf(String channel, String provider) {
        return snapshot().stream().map(SenderStore.Row::sender)
                .filter(s -> s.channel().equals(channel) && provider.equals(s.provider()))
                .map(Sender::id).collect(Collectors.toUnmodifiableSet());
    }

    /**
     * Whether any sender has a messaging limit, as the snapshot has it (a change through another node shows within
     * its 10 s): the status path asks for every failure, which must not cost a query.
     */
    public boolean anyWithMessagingLimit() {
        return snapshot().stream().anyMatch(row -> row.sender().messagingLimit() != null);
    }

    /** The channel (whatsapp, sms, voice) of the sender that has this id or name (one indexed lookup). */
    public Optional<String> channelOfSender(String idOrName) {
        return resolveRow(idOrName).map(r -> r.sender().channel());
    }

    /** The id of the sender of any channel that has this id or name. */
    public Optional<UUID> idOf(String idOrName) {
        return resolveRow(idOrName).map(r -> r.sender().id());
    }

    /** Finds a WhatsApp sender by its id or its name, as a send request may give either. */
    public Optional<WhatsAppAccount> resolve(String idOrName) {
        return resolveRow(idOrName).filter(r -> Sender.WHATSAPP.equals(r.sender().channel())).map(SenderStore.Row::whatsApp);
    }

    /** Finds an SMS or voice sender of a channel by its id or its name. */
    public Optional<ProviderAccount> resolveProvider(String idOrName, String channel) {
        return resolveRow(idOrName).filter(r -> channel.equals(r.sender().channel())).map(SenderStore.Row::provider);
    }

    public Optional<WhatsAppAccount> findByName(String name) {
        return store.findByName(name).map(SenderStore.Row::whatsApp);
    }

    /** The Twilio senders of an account (its callbacks name the account, not the sender). */
    public List<ProviderAccount> byTwilioAccount(String accountSid) {
        return snapshot().stream()
                .filter(r -> Sender.TWILIO.equals(r.sender().provider()) && accountSid != null
                        && accountSid.equals(r.sender().setting("accountSid", null)))
                .map(SenderStore.Row::provider).toList();
    }

    /** The sender whose Meta phone-number id this is; webhooks use it to find the app secret. */
    public Optional<WhatsAppAccount> byPhoneNumberId(String phoneNumberId) {
        return cached(r -> phoneNumberId != null && phoneNumberId.equals(r.sender().phoneNumberId()), true)
                .map(SenderStore.Row::whatsApp);
    }

    /** Whether any WhatsApp sender uses this verify token (Meta's subscription handshake). */
    public boolean isVerifyToken(String token) {
        return token != null && store.all().stream().map(SenderStore.Row::verifyToken)
                .anyMatch(v -> v != null && MessageDigest.isEqual(v.getBytes(StandardCharsets.UTF_8),
                        token.getBytes(StandardCharsets.UTF_8)));
    }

    public Sender register(SenderRequest request) {
        return register(request, false);
    }

    /** Registers one of the sandbox's own senders (marked as such so that the API tells it apart). */
    public Sender registerSandbox(SenderRequest request) {
        return register(request, true);
    }

    private Sender register(SenderRequest request, boolean sandbox) {
        String channel = channelOf(request.channel());
        SenderStore.Row row = Sender.WHATSAPP.equals(channel) ? newWhatsApp(request, sandbox) : newProvider(request, channel, sandbox);
        try {
            transactions.executeWithoutResult(tx -> {
                checkUnique(row.sender().name(), row.sender().phoneNumberId(), null);
                store.insert(row);
            });
        } catch (DuplicateKeyException createdMeanwhile) {
            // Another request took the name or the phone-number id between the check and the insert: say which.
            transactions.executeWithoutResult(tx -> checkUnique(row.sender().name(), row.sender().phoneNumberId(), null));
            throw createdMeanwhile;
        }
        snapshot = null;
        return row.sender();
    }

    /**
     * Follows the messaging limit Meta gives the business portfolio of a WhatsApp Business Account (its
     * {@code business_capability_update} webhook): each of the account's numbers gets an even share of it, or none
     * when it is unlimited (negative). Returns the numbers whose limit changed.
     */
    public List<Sender> followMessagingLimit(String wabaId, int portfolioLimit) {
        List<Sender> numbers = whatsAppNumbersOf(wabaId);
        Integer share = portfolioLimit < 0 || numbers.isEmpty() ? null : Math.max(1, portfolioLimit / numbers.size());
        List<Sender> changed = new ArrayList<>();
        for (Sender number : numbers) {
            if (!Objects.equals(number.messagingLimit(), share)) {
                changed.add(update(number.id(), new SenderRequest(null, null, null, null, null, null, null, null, null,
                        null, null, null, null, null, null, share == null ? 0 : share)));
            }
        }
        return changed;
    }

    /** The WhatsApp numbers of a WhatsApp Business Account (none for a null id). */
    public List<Sender> whatsAppNumbersOf(String wabaId) {
        return list().stream().filter(s -> Sender.WHATSAPP.equals(s.channel()) && s.wabaId() != null
                && s.wabaId().equals(wabaId)).toList();
    }

    /** A WhatsApp number Meta raised to higher throughput, and whether Reach raised its throughput with it. */
    public record ThroughputUpgrade(Sender sender, boolean raised) {}

    /**
     * Follows Meta's raising of a number's throughput (matched by the account and the digits of its display number):
     * a number at the default throughput takes {@code upgraded}; one whose throughput was set otherwise keeps it.
     */
    public List<ThroughputUpgrade> followThroughputUpgrade(String wabaId, String displayNumber, int upgraded) {
        String digits = displayNumber.replaceAll("\\D", "");
        List<ThroughputUpgrade> upgrades = new ArrayList<>();
        for (Sender number : whatsAppNumbersOf(wabaId)) {
            if (digits.isEmpty() || !digits.equals(number.displayNumber().replaceAll("\\D", ""))) {
                continue;
            }
            if (number.throughputPerSecond() == DEFAULT_THROUGHPUT) {
                upgrades.add(new ThroughputUpgrade(update(number.id(), new SenderRequest(null, null, null, null, null, null,
                        null, null, null, upgraded, null, null, null, null, null, null)), true));
            } else {
                upgrades.add(new ThroughputUpgrade(number, number.throughputPerSecond() == upgraded));
            }
        }
        return upgrades;
    }

    /**
     * Deletes a sender nothing uses (one registered by mistake, or tried and given up): a 409 {@code sender_in_use}
     * says what keeps it: the flow versions that name it (a draft is edited, a published version's journeys may still
     * send through it), or the messages sent or received through it, whose history it stays. The sandbox's senders
     * are registered again at each start, so they are refused too. Its row is locked as a publish that names it locks
     * it: a publish at the same moment either comes first (and the sender stays) or finds no such sender.
     */
    public Sender delete(UUID id) {
        Sender deleted;
        try {
            deleted = transactions.execute(tx -> {
                Sender sender = store.lock(id).orElseThrow(() -> ApiException.notFound("Sender", id)).sender();
                if (sender.sandbox()) {
                    throw inUse(sender, "it is the sandbox's, registered again at each start while the sandbox is enabled"
                            + " (reach.sandbox.enabled)");
                }
                List<String> naming = users.stream().flatMap(u -> u.naming(sender).stream()).toList();
                if (!naming.isEmpty()) {
                    throw inUse(sender, "it is named by " + String.join(", ", naming) + "; it stays registered while a flow"
                            + " version names it");
                }
                store.delete(id);
                return sender;
            });
        } catch (DataIntegrityViolationException referenced) {
            // Messages and received messages keep their sender (a foreign key): their history needs it.
            Sender sender = get(id);
            throw inUse(sender, "messages were sent or received through it, and it stays registered as their sender");
        }
        snapshot = null;
        log.info("Deleted sender {} ({}), which nothing used", deleted.name(), id);
        return deleted;
    }

    private static ApiException inUse(Sender sender, String why) {
        return new ApiException(HttpStatus.CONFLICT, "sender_in_use", "Sender " + sender.name() + " was not deleted: "
                + why, List.of());
    }

    /**
     * Holds the senders these ids or names name until the caller's transaction ends, as a deletion holds the one it
     * deletes, and gives each one's id by what named it: read from the database, not the snapshot, so that a sender
     * deleted through another node within the snapshot's 10 s is not found. Held in the order of their ids, so that
     * two publishes naming them in other orders do not deadlock. One that names no sender is left out.
     */
    public Map<String, UUID> holdForPublish(Collection<String> idsOrNames) {
        List<String> given = idsOrNames.stream().filter(idOrName -> idOrName != null && !idOrName.isBlank()).distinct().toList();
        List<SenderStore.Row> held = store.lockInIdOrder(
                given.stream().flatMap(idOrName -> Ids.ifId(idOrName.trim()).stream()).toList(),
                given.stream().map(String::trim).filter(idOrName -> Ids.ifId(idOrName).isEmpty()).toList());
        Map<String, UUID> named = new HashMap<>();
        for (String idOrName : given) {
            String wanted = idOrName.trim();
            Optional<UUID> id = Ids.ifId(wanted); // a name in the form of an id is read as an id, as everywhere
            held.stream().map(SenderStore.Row::sender)
                    .filter(sender -> id.map(sender.id()::equals).orElseGet(() -> sender.name().equals(wanted)))
                    .findFirst().ifPresent(sender -> named.put(idOrName, sender.id()));
        }
        return named;
    }

    public Sender update(UUID id, SenderRequest request) {
        Sender updated = transactions.execute(tx -> {
            SenderStore.Row current = row(id);
            if (request.channel() != null && !channelOf(request.channel()).equals(current.sender().channel())) {
                throw ApiException.invalidField("channel", "a sender's channel cannot change");
            }
            SenderStore.Row next = Sender.WHATSAPP.equals(current.sender().channel())
                    ? changedWhatsApp(current, request) : changedProvider(current, request);
            checkUnique(next.sender().name(), next.sender().phoneNumberId(), id);
            store.update(next);
            return next.sender();
        });
        snapshot = null;
        return updated;
    }

    private SenderStore.Row newWhatsApp(SenderRequest request, boolean sandbox) {
        List<FieldProblem> problems = new ArrayList<>();
        checkName(problems, request.name(), true);
        requireText(problems, "phoneNumberId", request.phoneNumberId(), DIGITS, "the digits of Meta's phone-number id");
        requireText(problems, "wabaId", request.wabaId(), DIGITS, "the digits of the WhatsApp Business Account id");
        requireText(problems, "displayNumber", request.displayNumber(), null, null);
        requireText(problems, "accessToken", request.accessToken(), null, null);
        requireText(problems, "appSecret", request.appSecret(), null, null);
        requireText(problems, "verifyToken", request.verifyToken(), null, null);
        checkSecretLengths(problems, request);
        String baseUrl = orDefault(request.graphApiBaseUrl(), DEFAULT_GRAPH_BASE_URL);
        String version = orDefault(request.graphApiVersion(), DEFAULT_GRAPH_VERSION);
        int throughput = request.throughputPerSecond() == null ? DEFAULT_THROUGHPUT : request.throughputPerSecond();
        Integer limit = messagingLimit(request.messagingLimit(), null, problems);
        checkUrl(problems, "graphApiBaseUrl", baseUrl);
        checkWhatsApp(problems, version, throughput);
        fail(problems);
        Instant now = clock.instant();
        Sender sender = new Sender(Ids.newId(), request.name().trim(), Sender.WHATSAPP, Sender.META,
                request.phoneNumberId().trim(), request.wabaId().trim(), request.displayNumber().trim(), baseUrl, version,
                null, null, throughput, limit, sandbox, true, true, true, null, now, now);
        return new SenderStore.Row(sender, request.accessToken().trim(), request.appSecret().trim(),
                request.verifyToken().trim(), null);
    }

    private SenderStore.Row changedWhatsApp(SenderStore.Row current, SenderRequest request) {
        Sender s = current.sender();
        List<FieldProblem> problems = new ArrayList<>();
        checkName(problems, request.name(), false);
        optionalText(problems, "phoneNumberId", request.phoneNumberId(), DIGITS, "the digits of Meta's phone-number id");
        optionalText(problems, "wabaId", request.wabaId(), DIGITS, "the digits of the WhatsApp Business Account id");
        optionalText(problems, "displayNumber", request.displayNumber(), null, null);
        optionalText(problems, "accessToken", request.accessToken(), null, null);
        optionalText(problems, "appSecret", request.appSecret(), null, null);
        optionalText(problems, "verifyToken", request.verifyToken(), null, null);
        checkSecretLengths(problems, request);
        String baseUrl = orDefault(request.graphApiBaseUrl(), s.graphApiBaseUrl());
        String version = orDefault(request.graphApiVersion(), s.graphApiVersion());
        int throughput = request.throughputPerSecond() == null ? s.throughputPerSecond() : request.throughputPerSecond();
        Integer limit = messagingLimit(request.messagingLimit(), s.messagingLimit(), problems);
        checkUrl(problems, "graphApiBaseUrl", baseUrl);
        checkWhatsApp(problems, version, throughput);
        fail(problems);
        Sender next = new Sender(s.id(), orDefault(request.name(), s.name()), s.channel(), s.provider(),
                orDefault(request.phoneNumberId(), s.phoneNumberId()), orDefault(request.wabaId(), s.wabaId()),
                orDefault(request.displayNumber(), s.displayNumber()), baseUrl, version, null, null, throughput, limit,
                s.sandbox(), true, true, true, null, s.createdAt(), clock.instant());
        return new SenderStore.Row(next, orDefault(request.accessToken(), current.accessToken()),
                orDefault(request.appSecret(), current.appSecret()), orDefault(request.verifyToken(), current.verifyToken()),
                null);
    }

    private SenderStore.Row newProvider(SenderRequest request, String channel, boolean sandbox) {
        List<FieldProblem> problems = new ArrayList<>();
        checkName(problems, request.name(), true);
        requireText(problems, "secret", request.secret(), null, null);
        checkSecretLengths(problems, request);
        String provider = providerOf(channel, request.provider(), problems);
        Map<String, String> settings = settings(request.settings(), provider, problems);
        String from = fromAddress(channel, request.fromAddress(), problems);
        int throughput = request.throughputPerSecond() == null ? DEFAULT_THROUGHPUT : request.throughputPerSecond();
        checkThroughput(problems, throughput);
        refuseMessagingLimit(problems, request, channel);
        fail(problems);
        Instant now = clock.instant();
        Sender sender = new Sender(Ids.newId(), request.name().trim(), channel, provider, null, null, null, null, null,
                from, settings, throughput, null, sandbox, null, null, null, true, now, now);
        return new SenderStore.Row(sender, null, null, null, request.secret());
    }

    private SenderStore.Row changedProvider(SenderStore.Row current, SenderRequest request) {
        Sender s = current.sender();
        List<FieldProblem> problems = new ArrayList<>();
        checkName(problems, request.name(), false);
        optionalText(problems, "secret", request.secret(), null, null);
        checkSecretLengths(problems, request);
        if (request.provider() != null && !request.provider().toLowerCase(Locale.ROOT).equals(s.provider())) {
            problems.add(new FieldProblem("provider", "a sender's provider cannot change; register a new sender"));
        }
        Map<String, String> merged = new TreeMap<>(s.settings() == null ? Map.of() : s.settings());
        if (request.settings() != null) {
            merged.putAll(request.settings());
        }
        Map<String, String> settings = settings(merged, s.provider(), problems);
        String from = request.fromAddress() == null ? s.fromAddress() : fromAddress(s.channel(), request.fromAddress(), problems);
        int throughput = request.throughputPerSecond() == null ? s.throughputPerSecond() : request.throughputPerSecond();
        checkThroughput(problems, throughput);
        refuseMessagingLimit(problems, request, s.channel());
        fail(problems);
        Sender next = new Sender(s.id(), orDefault(request.name(), s.name()), s.channel(), s.provider(), null, null, null,
                null, null, from, settings, throughput, null, s.sandbox(), null, null, null, true, s.createdAt(), clock.instant());
        return new SenderStore.Row(next, null, null, null, orDefault(request.secret(), current.secret()));
    }

    private static String providerOf(String channel, String requested, List<FieldProblem> problems) {
        String provider = requested == null ? null : requested.trim().toLowerCase(Locale.ROOT);
        Set<String> allowed = Sender.SMS.equals(channel) ? Set.of(Sender.SMPP, Sender.TWILIO) : Set.of(Sender.TWILIO);
        if (provider == null || !allowed.contains(provider)) {
            problems.add(new FieldProblem("provider", "a " + channel + " sender's provider is one of "
                    + String.join(", ", new TreeSet<>(allowed))));
            return Sender.TWILIO;
        }
        return provider;
    }

    private static Map<String, String> settings(Map<String, String> given, String provider, List<FieldProblem> problems) {
        Map<String, String> settings = new TreeMap<>();
        if (given != null) {
            given.forEach((k, v) -> {
                if (v != null && !v.isBlank()) {
                    settings.put(k, v.trim());
                }
            });
        }
        Set<String> known = Sender.SMPP.equals(provider) ? SMPP_SETTINGS : TWILIO_SETTINGS;
        settings.keySet().stream().filter(k -> !known.contains(k)).forEach(k -> problems.add(new FieldProblem(
                "settings." + k, "is not a " + provider + " setting (" + String.join(", ", new TreeSet<>(known)) + ")")));
        if (Sender.SMPP.equals(provider)) {
            if (!settings.containsKey("host")) {
                problems.add(new FieldProblem("settings.host", "is required (the SMSC's host)"));
            }
            if (!settings.containsKey("systemId")) {
                problems.add(new FieldProblem("settings.systemId", "is required (the SMPP system_id)"));
            }
            settings.putIfAbsent("port", "2775");
            settings.putIfAbsent("window", "10");
            settings.putIfAbsent("submitsPerSecond", "50");
            settings.putIfAbsent("enquireLinkSeconds", "30");
            for (String number : List.of("port", "window", "submitsPerSecond", "enquireLinkSeconds")) {
                if (!settings.get(number).matches("[1-9][0-9]{0,4}")) {
                    problems.add(new FieldProblem("settings." + number, "must be a positive whole number"));
                }
            }
        } else {
            if (!settings.containsKey("accountSid") || !TWILIO_ACCOUNT.matcher(settings.get("accountSid")).matches()) {
                problems.add(new FieldProblem("settings.accountSid", "is required: the Twilio account SID (AC and 32 hex digits)"));
            }
            settings.putIfAbsent("baseUrl", DEFAULT_TWILIO_BASE_URL);
            checkUrl(problems, "settings.baseUrl", settings.get("baseUrl"));
        }
        return settings;
    }

    private static String fromAddress(String channel, String from, List<FieldProblem> problems) {
        if (from == null || from.isBlank()) {
            problems.add(new FieldProblem("fromAddress", "is required (the number or sender id recipients see)"));
            return null;
        }
        String trimmed = from.trim();
        if (trimmed.startsWith("+")) {
            PhoneNumbers.Result number = new PhoneNumbers("").normalise(trimmed);
            if (!number.isValid()) {
                problems.add(new FieldProblem("fromAddress", number.problem()));
                return null;
            }
            return number.e164();
        }
        if (Sender.SMS.equals(channel) && ALPHANUMERIC_SENDER.matcher(trimmed).matches() && !trimmed.matches("[0-9 ]+")) {
            return trimmed;
        }
        problems.add(new FieldProblem("fromAddress", Sender.SMS.equals(channel)
                ? "must be a number in E.164 (+<country><number>) or an alphanumeric sender id of at most 11 characters"
                : "must be a number in E.164 (+<country><number>)"));
        return null;
    }

    private static String channelOf(String requested) {
        if (requested == null || requested.isBlank()) {
            return Sender.WHATSAPP;
        }
        String channel = requested.trim().toLowerCase(Locale.ROOT);
        if (!Set.of(Sender.WHATSAPP, Sender.SMS, Sender.VOICE).contains(channel)) {
            throw ApiException.invalidField("channel", "must be whatsapp, sms or voice");
        }
        return channel;
    }

    private Optional<SenderStore.Row> resolveRow(String idOrName) {
        if (idOrName == null || idOrName.isBlank()) {
            return Optional.empty();
        }
        String wanted = idOrName.trim();
        Optional<UUID> id = Ids.ifId(wanted);
        return id.isPresent() ? cached(r -> r.sender().id().equals(id.get()), true)
                : cached(r -> r.sender().name().equals(wanted), true);
    }

    private SenderStore.Row cachedRow(UUID id) {
        return cached(r -> r.sender().id().equals(id), true).orElseThrow(() -> ApiException.notFound("Sender", id));
    }

    /**
     * The sender the snapshot has that matches; when it has none and {@code lookAgain}, a new snapshot is taken, so
     * that a sender registered through another node is found at once.
     */
    private Optional<SenderStore.Row> cached(Predicate<SenderStore.Row> matches, boolean lookAgain) {
        Optional<SenderStore.Row> found = snapshot().stream().filter(matches).findFirst();
        if (found.isPresent() || !lookAgain) {
            return found;
        }
        // Read again at once; should that fail, the snapshot before stays for the others.
        Snapshot fresh = new Snapshot(store.all(), ticker.getAsLong() + SNAPSHOT_LIFE.toNanos());
        snapshot = fresh;
        return fresh.rows().stream().filter(matches).findFirst();
    }

    private List<SenderStore.Row> snapshot() {
        Snapshot before = snapshot;
        long now = ticker.getAsLong();
        if (before != null && now - before.dueAt() < 0) {
            return before.rows();
        }
        // One thread reads the senders again while the others go on with the snapshot they have: in an outage that
        // read waits for a connection (up to the pool's timeout), and would hold every send and webhook with it.
        if (before != null && !refreshing.compareAndSet(false, true)) {
            return before.rows();
        }
        try {
            Snapshot current;
            try {
                current = new Snapshot(store.all(), now + SNAPSHOT_LIFE.toNanos());
            } catch (RuntimeException e) {
                if (before == null || !PassingFailures.isPassing(e)) {
                    throw e;
                }
                // A database that fails for a moment (a restart, a failover) must not fail the sends and webhooks that
                // come in meanwhile: the snapshot they have serves a little longer, and is taken again a second later.
                log.warn("Could not read the senders again ({}); the snapshot taken before serves until the next try",
                        PassingFailures.cause(e));
                current = new Snapshot(before.rows(), now + SNAPSHOT_RETRY.toNanos());
            }
            snapshot = current;
            return current.rows();
        } finally {
            if (before != null) {
                refreshing.set(false);
            }
        }
    }

    private SenderStore.Row row(UUID id) {
        return store.find(id).orElseThrow(() -> ApiException.notFound("Sender", id));
    }

    private void checkUnique(String name, String phoneNumberId, UUID self) {
        store.findByName(name).filter(r -> !r.sender().id().equals(self)).ifPresent(r -> {
            throw new ApiException(HttpStatus.CONFLICT, "conflict", "A sender named " + name + " already exists",
                    List.of(new FieldProblem("name", "already exists")));
        });
        if (phoneNumberId != null) {
            store.findByPhoneNumberId(phoneNumberId).filter(r -> !r.sender().id().equals(self)).ifPresent(r -> {
                throw new ApiException(HttpStatus.CONFLICT, "conflict", "Sender " + r.sender().name()
                        + " already has phone-number id " + phoneNumberId,
                        List.of(new FieldProblem("phoneNumberId", "already registered")));
            });
        }
    }

    private static void checkUrl(List<FieldProblem> problems, String field, String url) {
        try {
            URI uri = URI.create(url);
            if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                    || uri.getHost() == null) {
                problems.add(new FieldProblem(field, "must be an http(s) URL"));
            }
        } catch (IllegalArgumentException e) {
            problems.add(new FieldProblem(field, "is not a URL"));
        }
    }

    private static void checkWhatsApp(List<FieldProblem> problems, String version, int throughput) {
        if (!VERSION.matcher(version).matches()) {
            problems.add(new FieldProblem("graphApiVersion", "must look like " + DEFAULT_GRAPH_VERSION));
        }
        checkThroughput(problems, throughput);
    }

    /**
     * The messaging limit a WhatsApp sender's request leaves it with: {@code current} when the request has none, none
     * (null) for 0.
     */
    private static Integer messagingLimit(Integer requested, Integer current, List<FieldProblem> problems) {
        if (requested == null) {
            return current;
        }
        if (requested < 0) {
            problems.add(new FieldProblem("messagingLimit", "must be a number of contacts (e.g. 2000), or 0 for no limit"));
            return current;
        }
        return requested == 0 ? null : requested;
    }

    private static void refuseMessagingLimit(List<FieldProblem> problems, SenderRequest request, String channel) {
        if (request.messagingLimit() != null) {
            problems.add(new FieldProblem("messagingLimit", "only WhatsApp senders have a messaging limit, not " + channel + " ones"));
        }
    }

    private static void checkThroughput(List<FieldProblem> problems, int throughput) {
        if (throughput < 1 || throughput > 1000) {
            problems.add(new FieldProblem("throughputPerSecond", "must be between 1 and 1000"));
        }
    }

    /** Secrets longer than their columns: a 400 naming the field, not the database's refusal (a 500). */
    private static void checkSecretLengths(List<FieldProblem> problems, SenderRequest request) {
        checkLength(problems, "accessToken", request.accessToken(), 2000);
        checkLength(problems, "appSecret", request.appSecret(), 500);
        checkLength(problems, "verifyToken", request.verifyToken(), 500);
        checkLength(problems, "secret", request.secret(), 2000);
    }

    private static void checkLength(List<FieldProblem> problems, String field, String value, int maxLength) {
        if (value != null && value.trim().length() > maxLength) {
            problems.add(new FieldProblem(field, "is longer than " + maxLength + " characters"));
        }
    }

    /**
     * A sender's name: the API takes a sender's id or name wherever it names one, so a name in the form of an id would
     * be taken for an id, and the sender reached by its id only.
     */
    private static void checkName(List<FieldProblem> problems, String name, boolean required) {
        int before = problems.size();
        if (required) {
            requireText(problems, "name", name, NAME, "letters, digits, '.', '_' and '-', at most 100");
        } else {
            optionalText(problems, "name", name, NAME, "letters, digits, '.', '_' and '-', at most 100");
        }
        if (problems.size() == before && name != null && Ids.ifId(name.trim()).isPresent()) {
            problems.add(new FieldProblem("name", "must not be in the form of an id: the API, which takes a sender's id"
                    + " or name, would take it for an id"));
        }
    }

    private static void requireText(List<FieldProblem> problems, String field, String value, Pattern pattern, String shape) {
        if (value == null || value.isBlank()) {
            problems.add(new FieldProblem(field, "is required"));
        } else {
            optionalText(problems, field, value, pattern, shape);
        }
    }

    private static void optionalText(List<FieldProblem> problems, String field, String value, Pattern pattern, String shape) {
        if (value == null) {
            return;
        }
        if (value.isBlank()) {
            problems.add(new FieldProblem(field, "cannot be empty"));
        } else if (pattern != null && !pattern.matcher(value.trim()).matches()) {
            problems.add(new FieldProblem(field, "must be " + shape));
        }
    }

    private static String orDefault(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    private static void fail(List<FieldProblem> problems) {
        if (!problems.isEmpty()) {
            throw ApiException.badRequest("invalid_request", problems.getFirst().field() + ": " + problems.getFirst().message()
                    + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more)" : ""), problems);
        }
    }
}

package io.reach.sender;

import io.reach.shared.ApiException;
import io.reach.shared.FieldProblem;
import io.reach.shared.Ids;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/** The sender feature's API: register WhatsApp numbers and look them (and their secrets) up. */
@Service
public class Senders {

    public static final String DEFAULT_GRAPH_BASE_URL = "https://graph.facebook.com";
    public static final String DEFAULT_GRAPH_VERSION = "v23.0";
    static final int DEFAULT_THROUGHPUT = 80;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,100}");
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,64}");
    private static final Pattern VERSION = Pattern.compile("v[0-9]{1,3}\\.[0-9]{1,3}");
    // Webhooks look a sender up on every request; a short-lived cache keeps that off the database.
    private static final Duration CACHE_TTL = Duration.ofSeconds(10);

    private final SenderStore store;
    private final Clock clock;
    private final TransactionTemplate transactions;
    private final Map<String, Cached> byPhoneNumberId = new ConcurrentHashMap<>();

    private record Cached(Optional<WhatsAppAccount> account, Instant until) {}

    Senders(SenderStore store, Clock clock, TransactionTemplate transactions) {
        this.store = store;
        this.clock = clock;
        this.transactions = transactions;
    }

    public List<Sender> list() {
        return store.all().stream().map(WhatsAppAccount::sender).toList();
    }

    public Sender get(UUID id) {
        return account(id).sender();
    }

    public WhatsAppAccount account(UUID id) {
        return store.find(id).orElseThrow(() -> ApiException.notFound("Sender", id));
    }

    /** Finds a sender by its id or its name, as a send request may give either. */
    public Optional<WhatsAppAccount> resolve(String idOrName) {
        if (idOrName == null || idOrName.isBlank()) {
            return Optional.empty();
        }
        try {
            return store.find(UUID.fromString(idOrName.trim()));
        } catch (IllegalArgumentException notAnId) {
            return store.findByName(idOrName.trim());
        }
    }

    public Optional<WhatsAppAccount> findByName(String name) {
        return store.findByName(name);
    }

    /** The sender whose Meta phone-number id this is; webhooks use it to find the app secret. */
    public Optional<WhatsAppAccount> byPhoneNumberId(String phoneNumberId) {
        Instant now = clock.instant();
        Cached cached = byPhoneNumberId.get(phoneNumberId);
        if (cached != null && cached.until().isAfter(now)) {
            return cached.account();
        }
        Optional<WhatsAppAccount> account = store.findByPhoneNumberId(phoneNumberId);
        byPhoneNumberId.put(phoneNumberId, new Cached(account, now.plus(CACHE_TTL)));
        return account;
    }

    /** Whether any WhatsApp sender uses this verify token (Meta's subscription handshake). */
    public boolean isVerifyToken(String token) {
        return token != null && store.all().stream()
                .anyMatch(a -> java.security.MessageDigest.isEqual(a.credentials().verifyToken().getBytes(),
                        token.getBytes()));
    }

    public Sender register(SenderRequest request) {
        return register(request, false);
    }

    /** Registers the sandbox's own number (marked as such so that the API tells it apart). */
    public Sender registerSandbox(SenderRequest request) {
        return register(request, true);
    }

    private Sender register(SenderRequest request, boolean sandbox) {
        List<FieldProblem> problems = new ArrayList<>();
        requireText(problems, "name", request.name(), NAME, "letters, digits, '.', '_' and '-', at most 100");
        requireText(problems, "phoneNumberId", request.phoneNumberId(), DIGITS, "the digits of Meta's phone-number id");
        requireText(problems, "wabaId", request.wabaId(), DIGITS, "the digits of the WhatsApp Business Account id");
        requireText(problems, "displayNumber", request.displayNumber(), null, null);
        requireText(problems, "accessToken", request.accessToken(), null, null);
        requireText(problems, "appSecret", request.appSecret(), null, null);
        requireText(problems, "verifyToken", request.verifyToken(), null, null);
        String baseUrl = orDefault(request.graphApiBaseUrl(), DEFAULT_GRAPH_BASE_URL);
        String version = orDefault(request.graphApiVersion(), DEFAULT_GRAPH_VERSION);
        int throughput = request.throughputPerSecond() == null ? DEFAULT_THROUGHPUT : request.throughputPerSecond();
        checkCommon(problems, baseUrl, version, throughput);
        fail(problems);
        Instant now = clock.instant();
        Sender sender = new Sender(Ids.newId(), request.name().trim(), "whatsapp", request.phoneNumberId().trim(),
                request.wabaId().trim(), request.displayNumber().trim(), baseUrl, version, throughput, sandbox,
                true, true, true, now, now);
        WhatsAppAccount account = new WhatsAppAccount(sender, new WhatsAppCredentials(request.accessToken().trim(),
                request.appSecret().trim(), request.verifyToken().trim()));
        transactions.executeWithoutResult(tx -> {
            checkUnique(sender.name(), sender.phoneNumberId(), null);
            store.insert(account);
        });
        byPhoneNumberId.remove(sender.phoneNumberId());
        return sender;
    }

    public Sender update(UUID id, SenderRequest request) {
        Sender updated = transactions.execute(tx -> {
            WhatsAppAccount current = account(id);
            Sender s = current.sender();
            WhatsAppCredentials c = current.credentials();
            List<FieldProblem> problems = new ArrayList<>();
            optionalText(problems, "name", request.name(), NAME, "letters, digits, '.', '_' and '-', at most 100");
            optionalText(problems, "phoneNumberId", request.phoneNumberId(), DIGITS, "the digits of Meta's phone-number id");
            optionalText(problems, "wabaId", request.wabaId(), DIGITS, "the digits of the WhatsApp Business Account id");
            optionalText(problems, "displayNumber", request.displayNumber(), null, null);
            optionalText(problems, "accessToken", request.accessToken(), null, null);
            optionalText(problems, "appSecret", request.appSecret(), null, null);
            optionalText(problems, "verifyToken", request.verifyToken(), null, null);
            String baseUrl = orDefault(request.graphApiBaseUrl(), s.graphApiBaseUrl());
            String version = orDefault(request.graphApiVersion(), s.graphApiVersion());
            int throughput = request.throughputPerSecond() == null ? s.throughputPerSecond() : request.throughputPerSecond();
            checkCommon(problems, baseUrl, version, throughput);
            fail(problems);
            Sender next = new Sender(s.id(), orDefault(request.name(), s.name()),
                    s.channel(), orDefault(request.phoneNumberId(), s.phoneNumberId()),
                    orDefault(request.wabaId(), s.wabaId()), orDefault(request.displayNumber(), s.displayNumber()),
                    baseUrl, version, throughput, s.sandbox(), true, true, true, s.createdAt(), clock.instant());
            checkUnique(next.name(), next.phoneNumberId(), id);
            store.update(new WhatsAppAccount(next, new WhatsAppCredentials(orDefault(request.accessToken(), c.accessToken()),
                    orDefault(request.appSecret(), c.appSecret()), orDefault(request.verifyToken(), c.verifyToken()))));
            byPhoneNumberId.remove(s.phoneNumberId());
            return next;
        });
        byPhoneNumberId.remove(updated.phoneNumberId());
        return updated;
    }

    private void checkUnique(String name, String phoneNumberId, UUID self) {
        store.findByName(name).filter(a -> !a.sender().id().equals(self)).ifPresent(a -> {
            throw new ApiException(org.springframework.http.HttpStatus.CONFLICT, "conflict",
                    "A sender named " + name + " already exists", List.of(new FieldProblem("name", "already exists")));
        });
        store.findByPhoneNumberId(phoneNumberId).filter(a -> !a.sender().id().equals(self)).ifPresent(a -> {
            throw new ApiException(org.springframework.http.HttpStatus.CONFLICT, "conflict",
                    "Sender " + a.sender().name() + " already has phone-number id " + phoneNumberId,
                    List.of(new FieldProblem("phoneNumberId", "already registered")));
        });
    }

    private static void checkCommon(List<FieldProblem> problems, String baseUrl, String version, int throughput) {
        try {
            URI uri = URI.create(baseUrl);
            if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                    || uri.getHost() == null) {
                problems.add(new FieldProblem("graphApiBaseUrl", "must be an http(s) URL such as " + DEFAULT_GRAPH_BASE_URL));
            }
        } catch (IllegalArgumentException e) {
            problems.add(new FieldProblem("graphApiBaseUrl", "is not a URL"));
        }
        if (!VERSION.matcher(version).matches()) {
            problems.add(new FieldProblem("graphApiVersion", "must look like " + DEFAULT_GRAPH_VERSION));
        }
        if (throughput < 1 || throughput > 1000) {
            problems.add(new FieldProblem("throughputPerSecond", "must be between 1 and 1000 (Meta's limit per number)"));
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

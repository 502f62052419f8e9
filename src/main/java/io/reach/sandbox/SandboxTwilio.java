package io.reach.sandbox;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.reach.shared.BoundedBody;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The sandbox's Twilio: the REST API's Messages and Calls resources ({@code /2010-04-01/Accounts/{sid}/…json}) with
 * Basic auth, Twilio's answers and error format, and status callbacks signed with {@code X-Twilio-Signature}, sent
 * in order as the handset rules say (SMS: sent, then delivered or undelivered; calls: initiated, ringing, then
 * in-progress and completed, or busy, no-answer or failed).
 */
public final class SandboxTwilio {

    // Twilio's dates, in its API answers and its callbacks: RFC 2822 with a numeric offset ("Tue, 31 Aug 2010
    // 20:36:28 +0000"), the form its SDK parses; RFC 1123's "GMT" made the SDK throw (and swallow) an exception on
    // every answer.
    private static final DateTimeFormatter TWILIO_DATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss Z", Locale.US);

    private static final Logger log = LoggerFactory.getLogger(SandboxTwilio.class);
    private static final Pattern PATH = Pattern.compile("/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/(Messages|Calls)\\.json");
    private static final Pattern RESOURCE_PATH =
            Pattern.compile("/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/(Messages|Calls)/((?:SM|CA)[0-9a-f]{32})\\.json");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One resource created through the sandbox: its kind, SID and the form Reach posted. */
    public record Created(String kind, String sid, Map<String, String> form) {}

    private final JsonMapper json;
    private final HandsetRules rules;
    private final String accountSid;
    private final String authToken;
    private final Recent<Created> created;
    /** Creates answered as repeats of an earlier one (see {@link #replayed}), oldest first. */
    private final List<Created> replays = new CopyOnWriteArrayList<>();
    /** Each message's and call's latest status event, as it fell due (delivered to Reach or not), for a GET of it. */
    private final Map<String, Map<String, String>> statuses;
    private final HttpClient http = BoundedBody.http1Client(Duration.ofSeconds(5));
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(1,
            Thread.ofPlatform().name("sandbox-twilio").daemon(true).factory());
    private final SandboxJournal journal;
    private HttpServer server;

    /** This simulator's name in the {@link SandboxJournal}. */
    static final String CHANNEL = "twilio";

    /** A message's or a call's status events, each with its time after the create. */
    private record Plan(List<Map<String, String>> events, List<Long> times) {}

    /** {@code journal}: where what the handsets still owe is kept across restarts; null to keep it in memory only. */
    SandboxTwilio(JsonMapper json, HandsetRules rules, String accountSid, String authToken, int historySize,
                  SandboxJournal journal) {
        this.journal = journal;
        this.json = json;
        this.rules = rules;
        this.accountSid = accountSid;
        this.authToken = authToken;
        // Found by recipient (tests), and by status-callback URL (a retried create, see replayed).
        this.created = new Recent<>(historySize, c -> ofKind(c.kind(), c.form().get("To")),
                c -> c.form().containsKey("StatusCallback") ? ofKind(c.kind(), c.form().get("StatusCallback")) : null);
        this.statuses = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Map<String, String>> eldest) {
                return size() > historySize;
            }
        });
    }

    int start(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 256);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
        return server.getAddress().getPort();
    }

    void stop() {
        if (server != null) {
            server.stop(0);
        }
        timer.shutdownNow();
    }

    /** The messages and calls created (the last {@code historySize}), oldest first. */
    public List<Created> created() {
        return created.all();
    }

    /** A lookup key of {@link #created}: a value of a message's or a call's form, with the kind it belongs to. */
    private static String ofKind(String kind, String value) {
        return kind + " " + value;
    }

    /** A message's or a call's status now (Twilio's word for it), as a GET of it gives it; empty for an unknown SID. */
    public Optional<String> statusOf(String sid) {
        Map<String, String> latest = statuses.get(sid);
        return latest == null ? Optional.empty()
                : Optional.ofNullable(latest.containsKey("CallSid") ? latest.get("CallStatus") : latest.get("MessageStatus"));
    }

    /**
     * How many creates repeated an earlier one (its status-callback URL) and were answered with it: Twilio, which has
     * no such rule, would have sent or called again for each.
     */
    public long replays() {
        return replays.size();
    }

    /** The creates counted by {@link #replays()}, each with the SID of the earlier one it was answered with. */
    public List<Created> replayed() {
        return List.copyOf(replays);
    }

    public List<Created> createdFor(String kind, String to) {
        return created.find(0, ofKind(kind, to));
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Matcher resource = RESOURCE_PATH.matcher(exchange.getRequestURI().getPath());
            if (resource.matches() && "GET".equals(exchange.getRequestMethod())) {
                if (authenticated(exchange, resource.group(1))) {
                    fetch(exchange, resource.group(2), resource.group(3));
                }
                return;
            }
            Matcher path = PATH.matcher(exchange.getRequestURI().getPath());
            if (!path.matches() || !"POST".equals(exchange.getRequestMethod())) {
                error(exchange, 404, 20404, "The requested resource " + exchange.getRequestURI().getPath() + " was not found");
                return;
            }
            if (!authenticated(exchange, path.group(1))) {
                return;
            }
            Map<String, String> form = form(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            if (form.get("To") == null || form.get("From") == null) {
                error(exchange, 400, 21604, "A 'To' and a 'From' phone number are required.");
                return;
            }
            if (path.group(2).equals("Messages")) {
                if (form.get("Body") == null) {
                    error(exchange, 400, 21602, "Message body is required.");
                    return;
                }
                if (Boolean.TRUE.equals(rules.forRecipient(form.get("To")).smsUnsubscribed())) {
                    error(exchange, 400, 21610, "Attempt to send to unsubscribed recipient");
                    return;
                }
                message(exchange, form);
            } else {
                if (form.get("Twiml") == null && form.get("Url") == null) {
                    error(exchange, 400, 21205, "Url or Twiml is required.");
                    return;
                }
                call(exchange, form);
            }
        }
    }

    private void message(HttpExchange exchange, Map<String, String> form) throws IOException {
        if (replayed(exchange, "sms", form)) {
            return;
        }
        String sid = "SM" + HexFormat.of().formatHex(randomBytes());
        created.add(new Created("sms", sid, form));
        statuses.put(sid, queued("sms", sid, form));
        Instant now = Instant.now();
        Plan plan = plan("sms", sid, form);
        owe("sms", sid, form, now, plan);
        ObjectNode body = resource(sid, form);
        body.put("body", form.get("Body"));
        body.put("num_segments", "1");
        body.put("messaging_service_sid", (String) null);
        body.put("uri", "/2010-04-01/Accounts/" + accountSid + "/Messages/" + sid + ".json");
        respond(exchange, 201, json.writeValueAsBytes(body));
        send(sid, form.get("StatusCallback"), plan, now, 0);
    }

    private void call(HttpExchange exchange, Map<String, String> form) throws IOException {
        if (replayed(exchange, "call", form)) {
            return;
        }
        String sid = "CA" + HexFormat.of().formatHex(randomBytes());
        created.add(new Created("call", sid, form));
        statuses.put(sid, queued("call", sid, form));
        Instant now = Instant.now();
        Plan plan = plan("call", sid, form);
        owe("call", sid, form, now, plan);
        ObjectNode body = resource(sid, form);
        body.put("uri", "/2010-04-01/Accounts/" + accountSid + "/Calls/" + sid + ".json");
        respond(exchange, 201, json.writeValueAsBytes(body));
        send(sid, form.get("StatusCallback"), plan, now, 0);
    }

    /**
     * What the recipient's handset makes of a message or a call: its status events and their times. None when the
     * create asked for no status callback (its status then stays {@code queued}).
     */
    private Plan plan(String kind, String sid, Map<String, String> form) {
        if (form.get("StatusCallback") == null) {
            return new Plan(List.of(), List.of());
        }
        Handset handset = rules.forRecipient(form.get("To"));
        if (kind.equals("sms")) {
            return new Plan(List.of(smsEvent(sid, form, "sent", null), handset.smsDeliverable()
                    ? smsEvent(sid, form, "delivered", null) : smsEvent(sid, form, "undelivered", "30003")),
                    List.of(50L, handset.smsDelay()));
        }
        long at = handset.callDelay();
        List<Map<String, String>> events = new ArrayList<>(List.of(callEvent(sid, form, "initiated", 1, null),
                callEvent(sid, form, "ringing", 2, null)));
        List<Long> times = new ArrayList<>(List.of(20L, 100L));
        switch (handset.callOutcome()) {
            case "answered" -> {
                int duration = handset.callDurationSec() == null ? 5 : handset.callDurationSec();
                events.add(callEvent(sid, form, "in-progress", 3, null));
                events.add(callEvent(sid, form, "completed", 4, String.valueOf(duration)));
                times.add(at);
                times.add(at + 200);
            }
            default -> {
                events.add(callEvent(sid, form, handset.callOutcome(), 3, "0"));
                times.add(at);
            }
        }
        return new Plan(events, times);
    }

    /** A message's or a call's status as it is created, before any event of its handset. */
    private Map<String, String> queued(String kind, String sid, Map<String, String> form) {
        return kind.equals("sms") ? smsEvent(sid, form, "queued", null) : callEvent(sid, form, "queued", 0, null);
    }

    /** Notes, before the create's answer goes out, the events still to come of a message or a call. */
    private void owe(String kind, String sid, Map<String, String> form, Instant now, Plan plan) {
        if (journal != null) {
            Map<String, String> fields = new HashMap<>();
            fields.put("kind", kind);
            fields.put("To", form.get("To"));
            fields.put("From", form.get("From"));
            fields.put("StatusCallback", form.get("StatusCallback"));
            journal.accepted(new SandboxJournal.Owed(CHANNEL, sid, now, fields, plan.events().size()));
        }
    }

    /**
     * Takes up what the handsets owed Reach when the sandbox last stopped (see {@link SandboxJournal}): each message's
     * and call's status as it stands, and its callbacks still to come, at once for those past due; a create retried
     * with the same status-callback URL gets the resource it got before. Returns how many it took up.
     */
    int resume() {
        if (journal == null) {
            return 0;
        }
        List<SandboxJournal.Owed> owed = journal.owed(CHANNEL);
        for (SandboxJournal.Owed resource : owed) {
            String kind = resource.field("kind");
            Map<String, String> form = new HashMap<>();
            form.put("To", resource.field("To"));
            form.put("From", resource.field("From"));
            form.put("StatusCallback", resource.field("StatusCallback"));
            created.add(new Created(kind, resource.id(), form));
            Plan plan = plan(kind, resource.id(), form);
            int taken = Math.min(resource.taken(), plan.events().size());
            statuses.put(resource.id(), taken > 0 ? plan.events().get(taken - 1) : queued(kind, resource.id(), form));
            send(resource.id(), form.get("StatusCallback"), plan, resource.at(), taken);
        }
        return owed.size();
    }

    /** Whether the request is the account's, with its auth token; answers a 401 when it is not. */
    private boolean authenticated(HttpExchange exchange, String account) throws IOException {
        String expected = "Basic " + Base64.getEncoder().encodeToString((accountSid + ":" + authToken)
                .getBytes(StandardCharsets.UTF_8));
        if (!account.equals(accountSid) || !expected.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            error(exchange, 401, 20003, "Authenticate");
            return false;
        }
        return true;
    }

    /** A message or a call as Twilio's GET of it gives it: its status now, and its error code when it failed. */
    private void fetch(HttpExchange exchange, String kind, String sid) throws IOException {
        Map<String, String> latest = statuses.get(sid);
        if (latest == null || latest.containsKey("CallSid") != kind.equals("Calls")) {
            error(exchange, 404, 20404, "The requested resource " + exchange.getRequestURI().getPath() + " was not found");
            return;
        }
        ObjectNode body = resource(sid, latest);
        body.put("status", kind.equals("Calls") ? latest.get("CallStatus") : latest.get("MessageStatus"));
        if (latest.get("ErrorCode") != null) {
            body.put("error_code", Integer.parseInt(latest.get("ErrorCode")));
        } else {
            body.putNull("error_code");
        }
        body.put("uri", "/2010-04-01/Accounts/" + accountSid + "/" + kind + "/" + sid + ".json");
        respond(exchange, 200, json.writeValueAsBytes(body));
    }

    /**
     * Reach's status-callback URL names its message, so a second create with the same one is a retry of the first
     * (its answer was lost): the sandbox answers it with the first resource and does not send or call again. Twilio
     * itself has no such rule; this is the sandbox's stand-in for an idempotency key, as for the Graph API.
     */
    private boolean replayed(HttpExchange exchange, String kind, Map<String, String> form) throws IOException {
        String callback = form.get("StatusCallback");
        if (callback == null) {
            return false;
        }
        List<Created> earlier = created.find(1, ofKind(kind, callback));
        if (earlier.isEmpty()) {
            return false;
        }
        replays.add(new Created(kind, earlier.getFirst().sid(), form));
        log.warn("Sandbox Twilio: {} to {} repeated the status callback {} and was answered with {}; Twilio, which has no"
                + " such rule, would have {} again", kind.equals("call") ? "a call" : "an SMS", form.get("To"), callback,
                earlier.getFirst().sid(), kind.equals("call") ? "called" : "sent it");
        ObjectNode body = resource(earlier.getFirst().sid(), form);
        respond(exchange, 201, json.writeValueAsBytes(body));
        return true;
    }

    private Map<String, String> smsEvent(String sid, Map<String, String> form, String status, String errorCode) {
        Map<String, String> event = new TreeMap<>();
        event.put("AccountSid", accountSid);
        event.put("ApiVersion", "2010-04-01");
        event.put("From", form.get("From"));
        event.put("To", form.get("To"));
        event.put("MessageSid", sid);
        event.put("SmsSid", sid);
        event.put("MessageStatus", status);
        event.put("SmsStatus", status);
        if (errorCode != null) {
            event.put("ErrorCode", errorCode);
        }
        return event;
    }

    private Map<String, String> callEvent(String sid, Map<String, String> form, String status, int sequence, String duration) {
        Map<String, String> event = new TreeMap<>();
        event.put("AccountSid", accountSid);
        event.put("ApiVersion", "2010-04-01");
        event.put("CallSid", sid);
        event.put("CallStatus", status);
        event.put("Called", form.get("To"));
        event.put("Caller", form.get("From"));
        event.put("From", form.get("From"));
        event.put("To", form.get("To"));
        event.put("Direction", "outbound-api");
        event.put("CallbackSource", "call-progress-events");
        event.put("SequenceNumber", String.valueOf(sequence));
        event.put("Timestamp", ZonedDateTime.now(ZoneOffset.UTC).format(TWILIO_DATE));
        if (duration != null) {
            event.put("CallDuration", duration);
            event.put("Duration", duration);
        }
        return event;
    }

    /**
     * Sends one callback after the other from the {@code from}th on, each at its time after {@code start} (at once when
     * it is past), retrying a few times while Reach does not answer 2xx. The message's or call's status (what a GET of
     * it gives) moves on at those times whether the callbacks get through or not, as Twilio's does.
     */
    private void send(String sid, String url, Plan plan, Instant start, int from) {
        if (timer.isShutdown()) {
            return;
        }
        for (int i = from; i < plan.events().size(); i++) {
            Map<String, String> event = plan.events().get(i);
            timer.schedule(() -> statuses.put(sid, event), Handset.delayUntil(start, plan.times().get(i)), TimeUnit.MILLISECONDS);
        }
        next(sid, url, plan, start, from);
    }

    private void next(String sid, String url, Plan plan, Instant start, int index) {
        if (index >= plan.events().size() || timer.isShutdown()) {
            return;
        }
        timer.schedule(() -> deliver(url, plan.events().get(index), 1, () -> {
            if (timer.isShutdown()) {
                return; // stopping: a callback that may not have gone out stays owed
            }
            if (journal != null) {
                journal.taken(CHANNEL, sid, index + 1);
            }
            next(sid, url, plan, start, index + 1);
        }), Handset.delayUntil(start, plan.times().get(index)), TimeUnit.MILLISECONDS);
    }

    private void deliver(String url, Map<String, String> params, int attempt, Runnable then) {
        String body = encode(params);
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("X-Twilio-Signature", signature(authToken, url, params))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, failure) -> {
            if (failure == null && response.statusCode() / 100 == 2 || attempt >= 5 || timer.isShutdown()) {
                if ((failure != null || response.statusCode() / 100 != 2) && !timer.isShutdown()) {
                    // Stopping, it gives up nothing: the callback stays owed (SandboxJournal) for the next start.
                    log.warn("The sandbox Twilio gave up a callback to {}", url);
                }
                then.run();
                return;
            }
            timer.schedule(() -> deliver(url, params, attempt + 1, then), 250L << attempt, TimeUnit.MILLISECONDS);
        });
    }

    /** Twilio's request signature: Base64 HMAC-SHA1 of the URL followed by each POST parameter's name and value, sorted. */
    public static String signature(String authToken, String url, Map<String, String> params) {
        StringBuilder data = new StringBuilder(url);
        new TreeMap<>(params).forEach((name, value) -> data.append(name).append(value));
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(authToken.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            return Base64.getEncoder().encodeToString(mac.doFinal(data.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }

    private ObjectNode resource(String sid, Map<String, String> form) {
        ObjectNode body = json.createObjectNode();
        body.put("sid", sid);
        body.put("account_sid", accountSid);
        body.put("to", form.get("To"));
        body.put("from", form.get("From"));
        body.put("status", "queued");
        body.put("direction", "outbound-api");
        body.put("api_version", "2010-04-01");
        body.put("date_created", ZonedDateTime.now(ZoneOffset.UTC).format(TWILIO_DATE));
        return body;
    }

    private void error(HttpExchange exchange, int status, int code, String message) throws IOException {
        ObjectNode body = json.createObjectNode();
        body.put("code", code);
        body.put("message", message);
        body.put("more_info", "https://www.twilio.com/docs/errors/" + code);
        body.put("status", status);
        respond(exchange, status, json.writeValueAsBytes(body));
    }

    private static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    static Map<String, String> form(String encoded) {
        Map<String, String> form = new LinkedHashMap<>();
        for (String pair : encoded.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            form.merge(name, value, (a, b) -> a + "," + b);
        }
        return form;
    }

    private static String encode(Map<String, String> params) {
        StringBuilder body = new StringBuilder();
        params.forEach((name, value) -> {
            if (!body.isEmpty()) {
                body.append('&');
            }
            body.append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(value, StandardCharsets.UTF_8));
        });
        return body.toString();
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}

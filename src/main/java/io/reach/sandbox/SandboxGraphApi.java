package io.reach.sandbox;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The sandbox's stand-in for Meta's Graph API send endpoint, {@code POST /{version}/{phone-number-id}/messages},
 * on its own port. It checks the bearer token and the request like Meta does, answers in Meta's format, and lets
 * the recipient's virtual handset decide what webhooks follow. It also answers what Reach asks of an account: its
 * templates ({@code GET /{version}/{waba-id}/message_templates}, those of {@code sandbox/templates.json}, paged with
 * cursors as Meta pages them), its number ({@code GET /{version}/{phone-number-id}}), the apps taking its webhooks
 * ({@code GET /{version}/{waba-id}/subscribed_apps}) and its access token ({@code GET /{version}/debug_token}).
 */
public final class SandboxGraphApi {

    private static final Logger log = LoggerFactory.getLogger(SandboxGraphApi.class);
    private static final Pattern PATH = Pattern.compile("/(v[0-9]+\\.[0-9]+)/([0-9]+)/messages/?");
    private static final Pattern TEMPLATES_PATH = Pattern.compile("/(v[0-9]+\\.[0-9]+)/([0-9]+)/message_templates/?");
    private static final Pattern NAMED_PLACEHOLDER = Pattern.compile("\\{\\{([a-z_][a-z0-9_]*)}}");
    private static final Pattern NUMBER_PATH = Pattern.compile("/(v[0-9]+\\.[0-9]+)/([0-9]+)/?");
    private static final Pattern SUBSCRIBED_APPS_PATH = Pattern.compile("/(v[0-9]+\\.[0-9]+)/([0-9]+)/subscribed_apps/?");
    private static final Pattern DEBUG_TOKEN_PATH = Pattern.compile("/(v[0-9]+\\.[0-9]+)/debug_token/?");
    /** Meta's page when the request names no {@code limit}. */
    static final int DEFAULT_TEMPLATES_PAGE = 25;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** This simulator's name in the {@link SandboxJournal}. */
    static final String CHANNEL = "whatsapp";

    private final JsonMapper json;
    private final HandsetRules rules;
    private final SandboxWebhooks webhooks;
    private final String phoneNumberId;
    private final String wabaId;
    private final String displayNumber;
    private final List<JsonNode> templates;
    private final byte[] accessToken;
    private final Map<String, String> wamidByIdempotencyKey;
    private final Map<String, Integer> attemptsByIdempotencyKey;
    private final Map<String, AtomicLong> acceptedByRecipient;
    private final Map<String, AtomicLong> sendsAnsweredByRecipient;
    private final AtomicLong accepted = new AtomicLong();
    private final Map<String, Instant> failureDelivered;
    private final SandboxJournal journal;
    private HttpServer server;

    /** {@code journal}: where what the handsets still owe is kept across restarts; null to keep it in memory only. */
    SandboxGraphApi(JsonMapper json, HandsetRules rules, SandboxWebhooks webhooks, String phoneNumberId, String wabaId,
                    String displayNumber, String accessToken, int historySize, SandboxJournal journal) {
        this.journal = journal;
        this.wabaId = wabaId;
        this.displayNumber = displayNumber;
        this.templates = shippedTemplates(json);
        this.json = json;
        this.rules = rules;
        this.webhooks = webhooks;
        this.phoneNumberId = phoneNumberId;
        this.accessToken = accessToken.getBytes(StandardCharsets.UTF_8);
        this.wamidByIdempotencyKey = Recent.map(historySize);
        this.attemptsByIdempotencyKey = Recent.map(historySize);
        this.acceptedByRecipient = Recent.map(historySize);
        this.sendsAnsweredByRecipient = Recent.map(historySize);
        this.failureDelivered = Recent.map(historySize);
    }

    /** Starts listening on the loopback interface; port 0 picks a free one. Returns the port. */
    int start(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 512);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
        return server.getAddress().getPort();
    }

    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    /** How many distinct messages the sandbox accepted for a recipient (a retried send counts once). */
    public long acceptedFor(String e164) {
        AtomicLong count = acceptedByRecipient.get(e164);
        return count == null ? 0 : count.get();
    }

    /**
     * How many sends for a recipient the sandbox answered with a message id, a retry with the same Idempotency-Key
     * included: as many messages as Meta, whose API has no such key, would have made of them.
     */
    public long sendsAnsweredFor(String e164) {
        AtomicLong count = sendsAnsweredByRecipient.get(e164);
        return count == null ? 0 : count.get();
    }

    /**
     * When the sandbox posted the (first) failed-status webhook for a recipient that Reach then acknowledged: the
     * benchmark's start of a fallback (Reach may apply the status before it answers, so not the answer's moment).
     */
    public Optional<Instant> failureDeliveredAt(String e164) {
        return Optional.ofNullable(failureDelivered.get(e164));
    }

    public long acceptedTotal() {
        return accepted.get();
    }

    private static List<JsonNode> shippedTemplates(JsonMapper json) {
        try (InputStream in = SandboxGraphApi.class.getResourceAsStream("/sandbox/templates.json")) {
            List<JsonNode> list = new ArrayList<>();
            json.readTree(in).forEach(list::add);
            return List.copyOf(list);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read the sandbox's templates", e);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Matcher path = PATH.matcher(exchange.getRequestURI().getPath());
            if (!path.matches()) {
                // Not a send: what Reach asks of the account, or a path Meta does not know.
                read(exchange);
                return;
            }
            if (!"POST".equals(exchange.getRequestMethod())) {
                error(exchange, 400, 100, "Unsupported method " + exchange.getRequestMethod(), "GraphMethodException");
                return;
            }
            if (!authorised(exchange)) {
                return;
            }
            if (!phoneNumberId.equals(path.group(2))) {
                error(exchange, 400, 100, "Unsupported post request. Object with ID '" + path.group(2)
                        + "' does not exist", "GraphMethodException");
                return;
            }
            JsonNode body;
            try (InputStream in = exchange.getRequestBody()) {
                body = json.readTree(in.readAllBytes());
            } catch (JacksonException e) {
                error(exchange, 400, 100, "(#100) The request body is not valid JSON", "OAuthException");
                return;
            }
            String problem = problemWith(body);
            if (problem != null) {
                error(exchange, 400, 100, "(#100) " + problem, "OAuthException");
                return;
            }
            String parameters = namedParametersProblem(body);
            if (parameters != null) {
                error(exchange, 400, 132000, "(#132000) " + parameters, "OAuthException");
                return;
            }
            send(exchange, body);
        }
    }

    private void read(HttpExchange exchange) throws IOException {
        Matcher templatesPath = TEMPLATES_PATH.matcher(exchange.getRequestURI().getPath());
        if (templatesPath.matches()) {
            listTemplates(exchange, templatesPath.group(1), templatesPath.group(2));
            return;
        }
        if (DEBUG_TOKEN_PATH.matcher(exchange.getRequestURI().getPath()).matches()) {
            if (!"GET".equals(exchange.getRequestMethod())) {
                error(exchange, 400, 100, "Unsupported method " + exchange.getRequestMethod(), "GraphMethodException");
            } else if (authorised(exchange)) {
                describeToken(exchange);
            }
            return;
        }
        Matcher numberPath = NUMBER_PATH.matcher(exchange.getRequestURI().getPath());
        Matcher appsPath = SUBSCRIBED_APPS_PATH.matcher(exchange.getRequestURI().getPath());
        if (!numberPath.matches() && !appsPath.matches()) {
            error(exchange, 400, 2500, "Unknown path components: " + exchange.getRequestURI().getPath(), "OAuthException");
        } else if (!"GET".equals(exchange.getRequestMethod())) {
            error(exchange, 400, 100, "Unsupported method " + exchange.getRequestMethod(), "GraphMethodException");
        } else if (authorised(exchange)) {
            describe(exchange, numberPath.matches() ? numberPath.group(2) : null, appsPath.matches() ? appsPath.group(2) : null);
        }
    }

    /** Answers Meta's 401 (and returns false) unless the request carries the account's token. */
    private boolean authorised(HttpExchange exchange) throws IOException {
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        byte[] presented = auth != null && auth.startsWith("Bearer ")
                ? auth.substring(7).getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (!MessageDigest.isEqual(presented, accessToken)) {
            error(exchange, 401, 190, "Invalid OAuth access token - Cannot parse access token", "OAuthException");
            return false;
        }
        return true;
    }

    /**
     * The account's templates, a page at a time: {@code limit} of them (25 unless asked), after the one the
     * {@code after} cursor names; {@code paging.next} while there are more, as Meta answers.
     */
    private void listTemplates(HttpExchange exchange, String version, String account) throws IOException {
        if (!"GET".equals(exchange.getRequestMethod())) {
            error(exchange, 400, 100, "Unsupported method " + exchange.getRequestMethod(), "GraphMethodException");
            return;
        }
        if (!authorised(exchange)) {
            return;
        }
        if (!wabaId.equals(account)) {
            error(exchange, 400, 100, "Unsupported get request. Object with ID '" + account + "' does not exist",
                    "GraphMethodException");
            return;
        }
        String raw = exchange.getRequestURI().getRawQuery();
        Map<String, String> query = raw == null ? Map.of() : SandboxTwilio.form(raw);
        int limit;
        int from;
        try {
            limit = query.containsKey("limit") ? Integer.parseInt(query.get("limit")) : DEFAULT_TEMPLATES_PAGE;
            from = query.containsKey("after") ? Integer.parseInt(new String(Base64.getDecoder().decode(query.get("after")),
                    StandardCharsets.UTF_8)) + 1 : 0;
        } catch (IllegalArgumentException e) {
            error(exchange, 400, 100, "(#100) Invalid parameter", "OAuthException");
            return;
        }
        if (limit < 1 || from < 0) {
            error(exchange, 400, 100, "(#100) Invalid parameter", "OAuthException");
            return;
        }
        int to = Math.min(templates.size(), from + Math.min(limit, 1000));
        ObjectNode answer = json.createObjectNode();
        templates.subList(Math.min(from, to), to).forEach(answer.putArray("data")::add);
        if (from < to) {
            ObjectNode paging = answer.putObject("paging");
            paging.putObject("cursors").put("before", cursor(from)).put("after", cursor(to - 1));
            if (to < templates.size()) {
                paging.put("next", "http://" + exchange.getLocalAddress().getAddress().getHostAddress() + ":"
                        + exchange.getLocalAddress().getPort() + "/" + version + "/" + account + "/message_templates?limit="
                        + limit + "&after=" + URLEncoder.encode(cursor(to - 1), StandardCharsets.UTF_8));
            }
        }
        respond(exchange, 200, json.writeValueAsBytes(answer));
    }

    /**
     * The sandbox's number ({@code GET /{phone-number-id}}: on the Cloud API, good quality, standard throughput) or
     * the apps subscribed to its account's webhooks ({@code GET /{waba-id}/subscribed_apps}: Reach's, the sandbox's
     * webhooks going to it), as Meta answers them; an id that is neither is Meta's error.
     */
    private void describe(HttpExchange exchange, String number, String account) throws IOException {
        ObjectNode answer = json.createObjectNode();
        if (phoneNumberId.equals(number)) {
            answer.put("verified_name", "Reach Sandbox");
            answer.put("display_phone_number", displayNumber);
            answer.put("id", phoneNumberId);
            answer.put("quality_rating", "GREEN");
            answer.put("messaging_limit_tier", "TIER_UNLIMITED");
            answer.putObject("throughput").put("level", "STANDARD");
            answer.put("name_status", "APPROVED");
            answer.put("platform_type", "CLOUD_API");
        } else if (wabaId.equals(account)) {
            answer.putArray("data").addObject().putObject("whatsapp_business_api_data")
                    .put("id", "300000000000001").put("name", "Reach Sandbox").put("link", "http://127.0.0.1/");
        } else {
            String id = number != null ? number : account;
            error(exchange, 400, 100, "Unsupported get request. Object with ID '" + id + "' does not exist",
                    "GraphMethodException");
            return;
        }
        respond(exchange, 200, json.writeValueAsBytes(answer));
    }

    /**
     * What Meta says of an access token ({@code GET /debug_token?input_token=…}): the account's own is a System User's
     * that never expires ({@code expires_at} 0), with both WhatsApp permissions; any other is not valid.
     */
    private void describeToken(HttpExchange exchange) throws IOException {
        String raw = exchange.getRequestURI().getRawQuery();
        String input = raw == null ? null : SandboxTwilio.form(raw).get("input_token");
        ObjectNode data = json.createObjectNode();
        if (input != null && MessageDigest.isEqual(input.getBytes(StandardCharsets.UTF_8), accessToken)) {
            data.put("app_id", "300000000000001").put("type", "SYSTEM_USER").put("application", "Reach Sandbox")
                    .put("data_access_expires_at", 0).put("expires_at", 0).put("is_valid", true);
            data.putArray("scopes").add("whatsapp_business_management").add("whatsapp_business_messaging");
        } else {
            data.putObject("error").put("code", 190).put("message", "Invalid OAuth access token - Cannot parse access token");
            data.put("is_valid", false).putArray("scopes");
        }
        ObjectNode answer = json.createObjectNode();
        answer.set("data", data);
        respond(exchange, 200, json.writeValueAsBytes(answer));
    }

    private static String cursor(int index) {
        return Base64.getEncoder().encodeToString(Integer.toString(index).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * As Meta checks a send of one of the account's templates with named parameters: every text parameter of its
     * header and body names its placeholder ({@code parameter_name}), and each placeholder has one. Null when it does
     * (or the template is not one of the sandbox's named ones).
     */
    private String namedParametersProblem(JsonNode body) {
        JsonNode sent = body.path("template");
        JsonNode template = templates.stream().filter(t -> t.path("name").asString("").equals(sent.path("name").asString(null))
                        && t.path("language").asString("").equals(sent.path("language").path("code").asString(null)))
                .findFirst().orElse(null);
        if (template == null || !"NAMED".equals(template.path("parameter_format").asString(null))) {
            return null;
        }
        Set<String> expected = new TreeSet<>();
        for (JsonNode component : template.path("components")) {
            Matcher names = NAMED_PLACEHOLDER.matcher(component.path("text").asString(""));
            while (names.find()) {
                expected.add(names.group(1));
            }
        }
        Set<String> given = new TreeSet<>();
        for (JsonNode component : sent.path("components")) {
            if (!"button".equals(component.path("type").asString(""))) {
                for (JsonNode parameter : component.path("parameters")) {
                    if (parameter.path("parameter_name").asString("").isEmpty()) {
                        return "Parameter name is missing: template " + template.path("name").asString()
                                + " takes named parameters";
                    }
                    given.add(parameter.path("parameter_name").asString());
                }
            }
        }
        return given.equals(expected) ? null : "Number of parameters does not match the expected number of params: "
                + template.path("name").asString() + " takes " + expected + ", got " + given;
    }

    private static String problemWith(JsonNode body) {
        if (body == null || !body.isObject()) {
            return "The request body must be a JSON object";
        }
        if (!"whatsapp".equals(body.path("messaging_product").asString(null))) {
            return "The parameter messaging_product is required and must be whatsapp";
        }
        if (body.path("to").asString("").replaceAll("[^0-9]", "").length() < 7) {
            return "The parameter to is required and must be a phone number";
        }
        String type = body.path("type").asString("text");
        if (type.equals("template")) {
            JsonNode template = body.path("template");
            if (template.path("name").asString("").isEmpty() || template.path("language").path("code").asString("").isEmpty()) {
                return "A template needs template.name and template.language.code";
            }
        } else if (type.equals("text") && body.path("text").path("body").asString("").isEmpty()) {
            return "A text message needs text.body";
        }
        return null;
    }

    private void send(HttpExchange exchange, JsonNode body) throws IOException {
        String digits = body.path("to").asString().replaceAll("[^0-9]", "");
        String e164 = "+" + digits;
        Handset handset = rules.forRecipient(e164);
        String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
        if (handset.rejectWith() != null) {
            error(exchange, 400, handset.rejectWith(), title(handset.rejectWith()), "OAuthException");
            return;
        }
        if (handset.throttleFirst() != null && key != null) {
            int attempt = attemptsByIdempotencyKey.merge(key, 1, Integer::sum);
            if (attempt <= handset.throttleFirst()) {
                error(exchange, 400, 130429, title(130429), "OAuthException");
                return;
            }
        }
        String[] created = {null};
        String wamid = key == null
                ? (created[0] = newWamid())
                : wamidByIdempotencyKey.computeIfAbsent(key, k -> created[0] = newWamid());
        // A retried send (same Idempotency-Key) gets the first answer again and makes no second message.
        boolean fresh = wamid.equals(created[0]);
        sendsAnsweredByRecipient.computeIfAbsent(e164, k -> new AtomicLong()).incrementAndGet();
        if (fresh) {
            accepted.incrementAndGet();
            acceptedByRecipient.computeIfAbsent(e164, k -> new AtomicLong()).incrementAndGet();
            Instant now = Instant.now();
            String callbackData = body.path("biz_opaque_callback_data").asString(null);
            List<SandboxWebhooks.Scheduled> events = behaviour(handset, wamid, digits, callbackData);
            if (journal != null) {
                // Before the answer: once Reach has the message's id, its statuses must come, restart or not.
                Map<String, String> fields = new HashMap<>();
                fields.put("to", e164);
                fields.put("callbackData", callbackData);
                fields.put("key", key);
                journal.accepted(new SandboxJournal.Owed(CHANNEL, wamid, now, fields, events.size()));
            }
            webhooks.sendInOrder(now, events, 0, progress(wamid));
        } else {
            log.warn("Sandbox Graph API: a send to {} repeated Idempotency-Key {} and was answered with its first message"
                    + " {}; Meta, which has no such key, would have sent it again", e164, key, wamid);
        }
        ObjectNode answer = json.createObjectNode();
        answer.put("messaging_product", "whatsapp");
        ObjectNode contact = answer.putArray("contacts").addObject();
        contact.put("input", body.path("to").asString());
        contact.put("wa_id", digits);
        ObjectNode message = answer.putArray("messages").addObject();
        message.put("id", wamid);
        message.put("message_status", "accepted");
        respond(exchange, 200, json.writeValueAsBytes(answer));
    }

    private IntConsumer progress(String wamid) {
        return journal == null ? taken -> { } : taken -> journal.taken(CHANNEL, wamid, taken);
    }

    /**
     * Takes up what the handsets owed Reach when the sandbox last stopped (see {@link SandboxJournal}): the events of
     * each message not yet taken, at once for those past due; a send retried with its {@code Idempotency-Key} gets the
     * message it got before. Returns how many messages it took up.
     */
    int resume() {
        if (journal == null) {
            return 0;
        }
        List<SandboxJournal.Owed> owed = journal.owed(CHANNEL);
        for (SandboxJournal.Owed message : owed) {
            if (message.field("key") != null) {
                wamidByIdempotencyKey.put(message.field("key"), message.id());
            }
            String e164 = message.field("to");
            List<SandboxWebhooks.Scheduled> events = behaviour(rules.forRecipient(e164), message.id(), e164.substring(1),
                    message.field("callbackData"));
            webhooks.sendInOrder(message.at(), events, message.taken(), progress(message.id()));
        }
        return owed.size();
    }

    private List<SandboxWebhooks.Scheduled> behaviour(Handset handset, String wamid, String digits, String callbackData) {
        List<SandboxWebhooks.Scheduled> events = new ArrayList<>();
        Integer failure = !handset.onWhatsApp() ? Integer.valueOf(131026) : handset.failWith();
        if (failure != null) {
            long failAt = handset.failAfterMs() == null ? 300 : handset.failAfterMs();
            events.add(new SandboxWebhooks.Scheduled(failAt, webhooks.status(wamid, digits, "failed", callbackData, failure),
                    posted -> failureDelivered.putIfAbsent("+" + digits, posted)));
            if (handset.deliveredAfterFailMs() != null) {
                events.add(new SandboxWebhooks.Scheduled(failAt + handset.deliveredAfterFailMs(),
                        webhooks.status(wamid, digits, "delivered", callbackData, null)));
            }
            return events;
        }
        if (handset.sentAfterMs() != null) {
            events.add(new SandboxWebhooks.Scheduled(handset.sentAfterMs(), webhooks.status(wamid, digits, "sent", callbackData, null)));
        }
        if (handset.deliveredAfterMs() != null) {
            events.add(new SandboxWebhooks.Scheduled(handset.deliveredAfterMs(), webhooks.status(wamid, digits, "delivered", callbackData, null)));
        }
        if (handset.readAfterMs() != null) {
            events.add(new SandboxWebhooks.Scheduled(handset.readAfterMs(), webhooks.status(wamid, digits, "read", callbackData, null)));
        }
        if (handset.reply() != null) {
            long at = handset.reply().afterMs() == null ? 1500 : handset.reply().afterMs();
            events.add(new SandboxWebhooks.Scheduled(at, webhooks.reply(digits, wamid, handset.reply(),
                    Boolean.TRUE.equals(handset.username()))));
        }
        if (handset.stopsPromotionsAfterMs() != null) {
            events.add(new SandboxWebhooks.Scheduled(handset.stopsPromotionsAfterMs(), webhooks.stoppedPromotions(digits,
                    Boolean.TRUE.equals(handset.username()))));
        }
        return events;
    }

    private void error(HttpExchange exchange, int status, int code, String message, String type) throws IOException {
        ObjectNode root = json.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", message);
        error.put("type", type);
        error.put("code", code);
        error.putObject("error_data").put("messaging_product", "whatsapp").put("details", message);
        error.put("fbtrace_id", "sandbox" + Long.toHexString(RANDOM.nextLong()));
        respond(exchange, status, json.writeValueAsBytes(root));
    }

    private static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    static String newWamid() {
        byte[] bytes = new byte[27];
        RANDOM.nextBytes(bytes);
        return "wamid.HBgL" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String title(int code) {
        return switch (code) {
            case 131026 -> "Message undeliverable";
            case 131049 -> "This message was not delivered to maintain healthy ecosystem engagement.";
            case 131047 -> "Re-engagement message";
            case 130429 -> "Rate limit hit";
            case 131050 -> "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages";
            case 132000 -> "Number of parameters does not match the expected number of params";
            case 132001 -> "Template name does not exist in the translation";
            case 131000 -> "Something went wrong";
            default -> "Error " + code;
        };
    }
}

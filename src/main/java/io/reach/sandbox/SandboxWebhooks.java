package io.reach.sandbox;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import io.reach.messaging.whatsapp.WebhookSignature;
import io.reach.shared.BoundedBody;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Sends the sandbox's webhooks the way Meta does: {@code whatsapp_business_account} payloads, signed with the app
 * secret in {@code X-Hub-Signature-256}, POSTed to Reach's webhook URL and retried while Reach does not answer 200.
 * One message's events go out one after the other, in the order their handset produced them. Like Meta under
 * load, the sandbox keeps a few webhooks in flight per number ({@code concurrency}) and puts the events that became
 * due meanwhile into the next payload, up to {@code batchSize} of them: at a trickle every event is a webhook of its
 * own, under load one webhook carries many.
 */
final class SandboxWebhooks {

    private static final Logger log = LoggerFactory.getLogger(SandboxWebhooks.class);
    private static final PhoneNumberUtil PHONE_NUMBERS = PhoneNumberUtil.getInstance();
    /**
     * Meta tries a webhook again, less and less often, for up to seven days; the sandbox tries for as long, every 5 s
     * at most, so that a restart of Reach (in a process of its own, as in the tests' restart) loses no status.
     */
    static final Duration GIVE_UP_AFTER = Duration.ofDays(7);
    static final long LONGEST_RETRY_WAIT_MS = 5_000;

    /** The longest wait between two tries (tests shorten it). */
    private volatile long longestRetryWaitMs = LONGEST_RETRY_WAIT_MS;

    /**
     * One event a handset produces: a status of a sent message, an inbound message with its sender's profile, or a
     * change of the user's marketing preference ({@code user_preferences}) with its profile.
     */
    record Event(ObjectNode status, ObjectNode message, ObjectNode contact, ObjectNode preference) {}

    /**
     * One event to send at a moment after the send; {@code onDelivered} runs once Reach answered 200, with the moment
     * the webhook that carried it was first posted.
     */
    record Scheduled(long afterMs, Event event, Consumer<Instant> onDelivered) {
        Scheduled(long afterMs, Event event) {
            this(afterMs, event, posted -> { });
        }
    }

    private final JsonMapper json;
    // Reach's clock, for the times the webhooks report (when a status happened, when a handset wrote): they are
    // compared with the times Reach records, so a test that moves Reach's clock moves the handsets' too. The events'
    // delays and the webhooks' retries stay in real time.
    private final Clock clock;
    private final HttpClient http = BoundedBody.http1Client(Duration.ofSeconds(5));
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2,
            Thread.ofPlatform().name("sandbox-handsets-", 0).daemon(true).factory());
    private final String phoneNumberId;
    private final String wabaId;
    private final String displayNumber;
    private final String appSecret;
    private final int batchSize;
    private final int concurrency;
    private final ArrayDeque<Due> due = new ArrayDeque<>();
    private int inFlight;
    private volatile URI target;

    /** An event whose time has come, with what to do once Reach took it (given when its webhook was first posted). */
    private record Due(Event event, Consumer<Instant> then) {}

    SandboxWebhooks(JsonMapper json, Clock clock, String phoneNumberId, String wabaId, String displayNumber,
                    String appSecret, int batchSize, int concurrency) {
        if (batchSize < 1 || concurrency < 1) {
            throw new IllegalArgumentException("reach.sandbox.webhook-batch-size and webhook-concurrency must be at least 1");
        }
        this.json = json;
        this.clock = clock;
        this.phoneNumberId = phoneNumberId;
        this.wabaId = wabaId;
        this.displayNumber = displayNumber;
        this.appSecret = appSecret;
        this.batchSize = batchSize;
        this.concurrency = concurrency;
    }

    void target(URI webhookUrl) {
        this.target = webhookUrl;
    }

    /** Sends the events of one message in order, each at its time (counted from {@code start}). */
    void sendInOrder(Instant start, List<Scheduled> events) {
        sendInOrder(start, events, 0, taken -> { });
    }

    /**
     * Sends the events of one message in order (by their time; equal times in the list's order), each at its time
     * counted from {@code start} (at once when it is past), from the {@code from}th on; {@code progress} hears how
     * many of them Reach has taken, after each.
     */
    void sendInOrder(Instant start, List<Scheduled> events, int from, IntConsumer progress) {
        List<Scheduled> ordered = events.stream().sorted(Comparator.comparingLong(Scheduled::afterMs)).toList();
        next(start, ordered, from, progress);
    }

    private void next(Instant start, List<Scheduled> events, int index, IntConsumer progress) {
        if (index >= events.size() || timer.isShutdown()) {
            return;
        }
        Scheduled event = events.get(index);
        long delay = Handset.delayUntil(start, event.afterMs());
        timer.schedule(() -> enqueue(new Due(stamped(event.event()), posted -> {
            if (timer.isShutdown()) {
                return; // stopping: an event Reach may not have taken stays owed
            }
            event.onDelivered().accept(posted);
            progress.accept(index + 1);
            next(start, events, index + 1, progress);
        })), delay, TimeUnit.MILLISECONDS);
    }

    /**
     * The event with the time it comes about, now that it is due (a status, a handset's text typed seconds after the
     * message came): Meta reports when each happened, and Reach takes a typed text as the answer to the question sent
     * before it. Retries of its webhook carry the same time.
     */
    private Event stamped(Event event) {
        if (event.preference() != null) {
            event.preference().put("timestamp", clock.instant().getEpochSecond()); // a number there, as Meta sends it
            return event;
        }
        (event.status() != null ? event.status() : event.message()).put("timestamp",
                String.valueOf(clock.instant().getEpochSecond()));
        return event;
    }

    private void enqueue(Due event) {
        synchronized (due) {
            due.add(event);
        }
        pump();
    }

    /** How many events are due and wait for a webhook to carry them. */
    int waiting() {
        synchronized (due) {
            return due.size();
        }
    }

    /** Starts webhooks while fewer than {@code concurrency} are in flight, each with what is due, up to a batch. */
    private void pump() {
        while (true) {
            List<Due> batch = new ArrayList<>();
            synchronized (due) {
                if (inFlight >= concurrency || due.isEmpty()) {
                    return;
                }
                while (batch.size() < batchSize && !due.isEmpty()) {
                    batch.add(due.poll());
                }
                inFlight++;
            }
            deliver(envelope(batch), 1, Instant.now(), posted -> {
                synchronized (due) {
                    inFlight--;
                }
                batch.forEach(event -> event.then().accept(posted));
                pump();
            });
        }
    }

    private void deliver(String body, int attempt, Instant posted, Consumer<Instant> then) {
        if (target == null || timer.isShutdown()) {
            then.accept(posted);
            return;
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .header("X-Hub-Signature-256", WebhookSignature.sign(bytes, appSecret))
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build();
        http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, failure) -> {
            if (failure == null && response.statusCode() == 200) {
                then.accept(posted);
                return;
            }
            if (Duration.between(posted, Instant.now()).compareTo(GIVE_UP_AFTER) > 0 || timer.isShutdown()) {
                log.warn("The sandbox gave up delivering a webhook to {} after {} attempts", target, attempt);
                then.accept(posted);
                return;
            }
            if (attempt == 6) {
                log.info("The sandbox keeps trying to deliver a webhook to {}, as Meta does, every {} ms", target,
                        longestRetryWaitMs);
            }
            try {
                timer.schedule(() -> deliver(body, attempt + 1, posted, then), retryWait(attempt, longestRetryWaitMs),
                        TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException shutDown) {
                then.accept(posted);
            }
        });
    }

    /** The wait before attempt {@code attempt + 1}: doubling from half a second, at most {@code longest}. */
    static long retryWait(int attempt, long longest) {
        return attempt >= 10 ? longest : Math.min(longest, 250L << attempt);
    }

    /** Waits at most this long between two tries of a webhook (5 s unless a test shortens it). */
    void retryingAtMostEvery(Duration longest) {
        this.longestRetryWaitMs = longest.toMillis();
    }

    /** A status of a message; its time is set when it comes about (see {@link #stamped}). */
    Event status(String wamid, String recipientDigits, String status, String callbackData, Integer errorCode) {
        ObjectNode item = json.createObjectNode();
        item.put("id", wamid);
        item.put("status", status);
        item.put("recipient_id", recipientDigits);
        if (!status.equals("failed")) {
            // Meta leaves the user's id out of a failed status of a message sent to a number (as the sandbox's are).
            item.put("recipient_user_id", userId(recipientDigits));
        }
        if (callbackData != null) {
            item.put("biz_opaque_callback_data", callbackData);
        }
        if (status.equals("sent") || status.equals("delivered")) {
            ObjectNode conversation = item.putObject("conversation");
            conversation.put("id", "sandbox-conversation-" + recipientDigits);
            conversation.putObject("origin").put("type", "utility");
            ObjectNode pricing = item.putObject("pricing");
            pricing.put("billable", true);
            pricing.put("pricing_model", "PMP");
            pricing.put("category", "utility");
            pricing.put("type", "regular");
        }
        if (errorCode != null) {
            ObjectNode error = item.putArray("errors").addObject();
            error.put("code", errorCode);
            error.put("title", SandboxGraphApi.title(errorCode));
            error.put("message", SandboxGraphApi.title(errorCode));
            error.putObject("error_data").put("details", SandboxGraphApi.title(errorCode) + " (sandbox handset rule)");
            error.put("href", "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/");
        }
        return new Event(item, null, null, null);
    }

    /**
     * A handset's answer; its time is set when it is typed (see {@link #stamped}). A user who took a username
     * ({@code numberWithheld}) writes without its number: Meta leaves out {@code from} and {@code wa_id}.
     */
    Event reply(String fromDigits, String contextWamid, Handset.Reply reply, boolean numberWithheld) {
        ObjectNode contact = profile(fromDigits, numberWithheld);
        ObjectNode message = json.createObjectNode();
        if (!numberWithheld) {
            message.put("from", fromDigits);
        }
        message.put("from_user_id", userId(fromDigits));
        message.put("id", SandboxGraphApi.newWamid());
        if (reply.button() != null || Boolean.TRUE.equals(reply.quoted())) {
            ObjectNode context = message.putObject("context");
            context.put("from", displayNumber.replaceAll("[^0-9]", ""));
            context.put("id", contextWamid);
        }
        if (reply.button() != null) {
            message.put("type", "button");
            ObjectNode button = message.putObject("button");
            button.put("payload", reply.button());
            button.put("text", reply.buttonText() == null ? reply.button() : reply.buttonText());
        } else {
            message.put("type", "text");
            message.putObject("text").put("body", reply.text() == null ? "" : reply.text());
        }
        return new Event(null, message, contact, null);
    }

    /**
     * The user stopped the business's marketing messages ("Stop promotions"); its time is set when it does. A user who
     * took a username is named by its user id alone.
     */
    Event stoppedPromotions(String fromDigits, boolean numberWithheld) {
        ObjectNode contact = profile(fromDigits, numberWithheld);
        ObjectNode preference = json.createObjectNode();
        if (!numberWithheld) {
            preference.put("wa_id", fromDigits);
        }
        preference.put("user_id", userId(fromDigits));
        preference.put("detail", "User requested to stop marketing messages");
        preference.put("category", "marketing_messages");
        preference.put("value", "stop");
        return new Event(null, null, contact, preference);
    }

    /**
     * A webhook's {@code contacts} entry for a handset: its profile, its number ({@code wa_id}) unless Meta withholds
     * it, its business-scoped user id ({@code user_id}), which Meta gives whether or not the user took a username.
     */
    private ObjectNode profile(String digits, boolean numberWithheld) {
        ObjectNode contact = json.createObjectNode();
        ObjectNode profile = contact.putObject("profile");
        String lastFour = digits.substring(Math.max(0, digits.length() - 4));
        profile.put("name", "Sandbox handset " + lastFour);
        if (numberWithheld) {
            profile.put("username", "@sandbox." + lastFour);
        } else {
            contact.put("wa_id", digits);
        }
        contact.put("user_id", userId(digits));
        return contact;
    }

    /**
     * The business-scoped user id Meta would give the handset with this number: its country's two letters, a dot and
     * digits, the same for the number every time (the sandbox's restarts included).
     */
    static String userId(String digits) {
        String region;
        try {
            region = PHONE_NUMBERS.getRegionCodeForCountryCode(PHONE_NUMBERS.parse("+" + digits, "ZZ").getCountryCode());
        } catch (NumberParseException notANumber) {
            region = "ZZ";
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(("sandbox-user:" + digits).getBytes(StandardCharsets.UTF_8));
            return (region.equals("ZZ") ? "XX" : region) + "." + Long.toUnsignedString(ByteBuffer.wrap(hash).getLong());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is in every JDK", e);
        }
    }

    private ObjectNode value() {
        ObjectNode value = json.createObjectNode();
        value.put("messaging_product", "whatsapp");
        ObjectNode metadata = value.putObject("metadata");
        metadata.put("display_phone_number", displayNumber.replaceAll("[^0-9]", ""));
        metadata.put("phone_number_id", phoneNumberId);
        return value;
    }

    /**
     * One payload for a batch: statuses in one change, inbound messages (with their senders' profiles) in another, and
     * marketing preferences (with the users' profiles) in a third.
     */
    private String envelope(List<Due> batch) {
        ObjectNode root = json.createObjectNode();
        root.put("object", "whatsapp_business_account");
        ObjectNode entry = root.putArray("entry").addObject();
        entry.put("id", wabaId);
        ArrayNode changes = entry.putArray("changes");
        // The value of each kind's change, made when its first event comes: statuses, messages, preferences.
        Map<String, ObjectNode> values = new HashMap<>();
        for (Due due : batch) {
            Event event = due.event();
            if (event.status() != null) {
                list(values.computeIfAbsent("statuses", kind -> change(changes, "messages")), "statuses").add(event.status());
                continue;
            }
            boolean preference = event.preference() != null;
            String kind = preference ? "user_preferences" : "messages";
            ObjectNode value = values.computeIfAbsent(kind, k -> change(changes, kind));
            list(value, "contacts").add(event.contact());
            list(value, kind).add(preference ? event.preference() : event.message());
        }
        return json.writeValueAsString(root);
    }

    private static ArrayNode list(ObjectNode value, String name) {
        return value.has(name) ? (ArrayNode) value.get(name) : value.putArray(name);
    }

    private ObjectNode change(ArrayNode changes, String field) {
        ObjectNode change = changes.addObject();
        change.set("value", value());
        change.put("field", field);
        return (ObjectNode) change.get("value");
    }

    void shutdown() {
        timer.shutdownNow();
    }
}

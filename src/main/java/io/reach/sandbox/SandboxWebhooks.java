package io.reach.sandbox;

import io.reach.messaging.whatsapp.WebhookSignature;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Sends the sandbox's webhooks the way Meta does: {@code whatsapp_business_account} payloads, signed with the app
 * secret in {@code X-Hub-Signature-256}, POSTed to Reach's webhook URL and retried while Reach does not answer 200.
 * One message's events go out one after the other, in the order their handset produced them.
 */
final class SandboxWebhooks {

    private static final Logger log = LoggerFactory.getLogger(SandboxWebhooks.class);
    private static final int MAX_DELIVERY_ATTEMPTS = 6;

    /** One webhook to send at a moment after the send; {@code onDelivered} runs once Reach answered 200. */
    record Scheduled(long afterMs, String body, Runnable onDelivered) {
        Scheduled(long afterMs, String body) {
            this(afterMs, body, () -> { });
        }
    }

    private final JsonMapper json;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .executor(Executors.newVirtualThreadPerTaskExecutor()).version(HttpClient.Version.HTTP_1_1).build();
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2,
            Thread.ofPlatform().name("sandbox-handsets-", 0).daemon(true).factory());
    private final String phoneNumberId;
    private final String wabaId;
    private final String displayNumber;
    private final String appSecret;
    private volatile URI target;

    SandboxWebhooks(JsonMapper json, String phoneNumberId, String wabaId, String displayNumber, String appSecret) {
        this.json = json;
        this.phoneNumberId = phoneNumberId;
        this.wabaId = wabaId;
        this.displayNumber = displayNumber;
        this.appSecret = appSecret;
    }

    void target(URI webhookUrl) {
        this.target = webhookUrl;
    }

    /** Sends the events of one message in order, each at its time (counted from {@code start}). */
    void sendInOrder(Instant start, List<Scheduled> events) {
        List<Scheduled> ordered = events.stream().sorted(java.util.Comparator.comparingLong(Scheduled::afterMs)).toList();
        next(start, ordered, 0);
    }

    private void next(Instant start, List<Scheduled> events, int index) {
        if (index >= events.size() || timer.isShutdown()) {
            return;
        }
        Scheduled event = events.get(index);
        long delay = Math.max(0, Duration.between(Instant.now(), start.plusMillis(event.afterMs())).toMillis());
        timer.schedule(() -> deliver(event.body(), 1, () -> {
            event.onDelivered().run();
            next(start, events, index + 1);
        }), delay, TimeUnit.MILLISECONDS);
    }

    private void deliver(String body, int attempt, Runnable then) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .header("X-Hub-Signature-256", WebhookSignature.sign(bytes, appSecret))
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build();
        http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, failure) -> {
            if (failure == null && response.statusCode() == 200) {
                then.run();
                return;
            }
            if (attempt >= MAX_DELIVERY_ATTEMPTS || timer.isShutdown()) {
                log.warn("The sandbox gave up delivering a webhook to {} after {} attempts", target, attempt);
                then.run();
                return;
            }
            timer.schedule(() -> deliver(body, attempt + 1, then), 250L << attempt, TimeUnit.MILLISECONDS);
        });
    }

    String status(String wamid, String recipientDigits, String status, String callbackData, Integer errorCode) {
        ObjectNode value = value();
        ObjectNode item = value.putArray("statuses").addObject();
        item.put("id", wamid);
        item.put("status", status);
        item.put("timestamp", String.valueOf(Instant.now().getEpochSecond()));
        item.put("recipient_id", recipientDigits);
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
        return envelope(value);
    }

    String reply(String fromDigits, String contextWamid, Handset.Reply reply) {
        ObjectNode value = value();
        ObjectNode contact = value.putArray("contacts").addObject();
        contact.putObject("profile").put("name", "Sandbox handset " + fromDigits.substring(Math.max(0, fromDigits.length() - 4)));
        contact.put("wa_id", fromDigits);
        ObjectNode message = value.putArray("messages").addObject();
        message.put("from", fromDigits);
        message.put("id", SandboxGraphApi.newWamid());
        message.put("timestamp", String.valueOf(Instant.now().getEpochSecond()));
        ObjectNode context = message.putObject("context");
        context.put("from", displayNumber.replaceAll("[^0-9]", ""));
        context.put("id", contextWamid);
        if (reply.button() != null) {
            message.put("type", "button");
            ObjectNode button = message.putObject("button");
            button.put("payload", reply.button());
            button.put("text", reply.buttonText() == null ? reply.button() : reply.buttonText());
        } else {
            message.put("type", "text");
            message.putObject("text").put("body", reply.text() == null ? "" : reply.text());
        }
        return envelope(value);
    }

    private ObjectNode value() {
        ObjectNode value = json.createObjectNode();
        value.put("messaging_product", "whatsapp");
        ObjectNode metadata = value.putObject("metadata");
        metadata.put("display_phone_number", displayNumber.replaceAll("[^0-9]", ""));
        metadata.put("phone_number_id", phoneNumberId);
        return value;
    }

    private String envelope(ObjectNode value) {
        ObjectNode root = json.createObjectNode();
        root.put("object", "whatsapp_business_account");
        ArrayNode entries = root.putArray("entry");
        ObjectNode entry = entries.addObject();
        entry.put("id", wabaId);
        ObjectNode change = entry.putArray("changes").addObject();
        change.set("value", value);
        change.put("field", "messages");
        return json.writeValueAsString(root);
    }

    void shutdown() {
        timer.shutdownNow();
    }
}

package io.reach.messaging.whatsapp;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.reach.sender.Sender;
import io.reach.sender.WhatsAppAccount;
import io.swagger.v3.oas.annotations.media.Schema;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;

/**
 * Asks Meta, with a sender's token, about its number ({@code GET /{phone-number-id}}), about the token itself
 * ({@code GET /debug_token}) and whether an app takes its account's webhooks ({@code GET /{waba-id}/subscribed_apps}),
 * and says what would keep it from working: a token or an id Meta refuses, a token that expires (the App Dashboard's
 * lasts a day) or lacks a permission, a number not on the Cloud API, no app subscribed (no status would come), a
 * display number Reach has otherwise, a throughput Meta raised that the sender does not use; and webhooks of the
 * number this node refused for their signature (the sender's app secret not its app's).
 */
@Component
class NumberCheck {

    private static final String FIELDS = "display_phone_number,verified_name,quality_rating,messaging_limit_tier,"
            + "throughput,name_status,platform_type";

    private final GraphApiReads reads;
    private final WebhookRefusals refusals;

    NumberCheck(GraphApiReads reads, WebhookRefusals refusals) {
        this.reads = reads;
        this.refusals = refusals;
    }

    /** The number as Meta has it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record MetaNumber(String displayPhoneNumber, String verifiedName, String qualityRating, String messagingLimitTier,
                             String throughputLevel, String nameStatus, String platformType) {}

    /**
     * The sender's access token as Meta describes it (never the token itself): its {@code type} ({@code SYSTEM_USER},
     * {@code USER}), when it expires ({@code expiresAt}: none when it does not) and the permissions it carries.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(name = "SenderAccessToken")
    public record AccessToken(String type, Instant expiresAt, List<String> scopes) {}

    /**
     * What the check found: {@code ok} when nothing is in the way ({@code problems} empty); {@code number} as Meta has
     * it (null when Meta did not show it); {@code token}, the access token as Meta describes it (null when Meta did
     * not); {@code webhooksSubscribed}, whether an app takes the account's webhooks (null when Meta did not say).
     */
    @Schema(name = "SenderCheck")
    public record Result(String sender, boolean ok, MetaNumber number, AccessToken token, Boolean webhooksSubscribed,
                         List<String> problems) {}

    /** The permission without which Meta refuses every message of the sender. */
    private static final String MESSAGING = "whatsapp_business_messaging";
    /** The permission without which Meta shows neither the account's templates nor the apps taking its webhooks. */
    private static final String MANAGEMENT = "whatsapp_business_management";

    Result check(WhatsAppAccount account) {
        Sender sender = account.sender();
        List<String> problems = new ArrayList<>();
        MetaNumber number = null;
        try {
            JsonNode answer;
            try {
                answer = reads.get(account, sender.phoneNumberId() + "?fields=" + FIELDS);
            } catch (GraphApiReads.Refused e) {
                // A Graph API version that lacks one of the fields refuses them all (#100): its default fields then.
                if (!e.meta.startsWith("(#100)")) {
                    throw e;
                }
                answer = reads.get(account, sender.phoneNumberId());
            }
            number = new MetaNumber(text(answer, "display_phone_number"), text(answer, "verified_name"),
                    text(answer, "quality_rating"), text(answer, "messaging_limit_tier"),
                    answer.path("throughput").path("level").asString(null), text(answer, "name_status"),
                    text(answer, "platform_type"));
        } catch (GraphApiReads.Refused e) {
            problems.add("Meta did not show number " + sender.phoneNumberId() + " to this sender's access token: " + e.meta
                    + ". Check the phoneNumberId, and give the sender a valid token (PATCH /api/v1/senders/" + sender.name()
                    + " {\"accessToken\": …}) if it expired or lacks whatsapp_business_messaging");
        } catch (GraphApiReads.Unreachable e) {
            problems.add(e.getMessage());
        }
        if (number != null) {
            String metaDigits = number.displayPhoneNumber() == null ? "" : number.displayPhoneNumber().replaceAll("\\D", "");
            if (!metaDigits.equals(sender.displayNumber().replaceAll("\\D", ""))) {
                problems.add("Meta's display number for this id is " + number.displayPhoneNumber() + ", the sender's is "
                        + sender.displayNumber() + ": Reach matches Meta's throughput upgrades by it, so correct displayNumber");
            }
            if (number.platformType() != null && !"CLOUD_API".equals(number.platformType())) {
                problems.add("The number is not registered for the Cloud API (platform " + number.platformType()
                        + "): Meta refuses its sends until it is (POST /{phone-number-id}/register)");
            }
            if ("HIGH".equals(number.throughputLevel()) && sender.throughputPerSecond() < AccountUpdates.UPGRADED_THROUGHPUT) {
                problems.add("Meta lets this number send " + AccountUpdates.UPGRADED_THROUGHPUT + " messages a second "
                        + "(throughput HIGH); the sender sends at most " + sender.throughputPerSecond()
                        + ": raise its throughputPerSecond");
            }
        }
        // Asked once the number was read: a token Meta refuses is said there.
        AccessToken token = number == null ? null : token(account).orElse(null);
        if (token != null) {
            problems.addAll(problems(sender, token));
        }
        Boolean subscribed = null;
        try {
            JsonNode apps = reads.get(account, sender.wabaId() + "/subscribed_apps");
            subscribed = !apps.path("data").isEmpty();
            if (!subscribed) {
                problems.add("No app is subscribed to the webhooks of WhatsApp Business Account " + sender.wabaId()
                        + ": Meta sends no status and no reply of its numbers until one is (POST /{waba-id}/subscribed_apps"
                        + " with your app's token)");
            }
        } catch (GraphApiReads.Refused e) {
            problems.add("Meta did not say which apps take the webhooks of WhatsApp Business Account " + sender.wabaId()
                    + ": " + e.meta + " (the token needs whatsapp_business_management to see them)");
        } catch (GraphApiReads.Unreachable e) {
            if (number != null) {
                problems.add(e.getMessage());
            }
        }
        refusals.refusedSinceLastAccepted(sender.id()).ifPresent(at -> problems.add("A webhook for this number was"
                + " refused at " + at + " (and none taken since, on this node): its signature does not match the sender's"
                + " app secret. If it was Meta's, set the sender's appSecret to its app's (PATCH /api/v1/senders/"
                + sender.name() + " {\"appSecret\": …}): until then no status or reply of its messages is taken"));
        return new Result(sender.name(), problems.isEmpty(), number, token, subscribed, problems);
    }

    /** The sender's access token as Meta describes it ({@code GET /debug_token}); empty when Meta does not. */
    Optional<AccessToken> token(WhatsAppAccount account) {
        if (account.credentials().accessToken() == null) {
            return Optional.empty();
        }
        JsonNode data;
        try {
            data = reads.get(account, "debug_token?input_token=" + URLEncoder.encode(account.credentials().accessToken(),
                    StandardCharsets.UTF_8)).path("data");
        } catch (GraphApiReads.Refused | GraphApiReads.Unreachable e) {
            return Optional.empty();
        }
        if (!data.path("is_valid").asBoolean(false)) {
            return Optional.empty();
        }
        long expiresAt = data.path("expires_at").asLong(0);
        List<String> scopes = data.path("scopes").isArray() ? data.path("scopes").valueStream().map(JsonNode::asString)
                .toList() : null;
        return Optional.of(new AccessToken(text(data, "type"), expiresAt > 0 ? Instant.ofEpochSecond(expiresAt) : null,
                scopes));
    }

    /**
     * What in the token will keep the sender from working: an expiry (a token made in the App Dashboard works for a day,
     * after which every message fails and every journey takes its fallback) or a permission it lacks.
     */
    private static List<String> problems(Sender sender, AccessToken token) {
        List<String> problems = new ArrayList<>();
        String patch = "PATCH /api/v1/senders/" + sender.name() + " {\"accessToken\": …}";
        if (token.expiresAt() != null) {
            problems.add("The access token expires at " + token.expiresAt() + ": from then on Meta refuses every message"
                    + " of this sender (190) and its journeys take their fallbacks. A token made in the App Dashboard"
                    + " lasts a day; give the sender a System User's token that never expires (" + patch + ")");
        }
        if (token.scopes() != null && !token.scopes().contains(MESSAGING)) {
            problems.add("The access token lacks the " + MESSAGING + " permission: Meta refuses every message of this"
                    + " sender. Give it a token with " + MESSAGING + " and " + MANAGEMENT + " (" + patch + ")");
        } else if (token.scopes() != null && !token.scopes().contains(MANAGEMENT)) {
            problems.add("The access token lacks the " + MANAGEMENT + " permission: Meta does not show the account's"
                    + " templates (POST /api/v1/templates/sync) nor the apps taking its webhooks. Give it a token with"
                    + " both permissions (" + patch + ")");
        }
        return problems;
    }

    private static String text(JsonNode node, String field) {
        return node.path(field).asString(null);
    }
}

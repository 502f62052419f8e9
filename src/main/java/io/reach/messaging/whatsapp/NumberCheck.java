package io.reach.messaging.whatsapp;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.reach.sender.Sender;
import io.reach.sender.WhatsAppAccount;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;

/**
 * Asks Meta, with a sender's token, about its number ({@code GET /{phone-number-id}}) and whether an app takes its
 * account's webhooks ({@code GET /{waba-id}/subscribed_apps}), and says what would keep it from working: a token or an
 * id Meta refuses, a number not on the Cloud API, no app subscribed (no status would come), a display number Reach
 * has otherwise, a throughput Meta raised that the sender does not use; and webhooks of the number this node refused
 * for their signature (the sender's app secret not its app's).
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
     * What the check found: {@code ok} when nothing is in the way ({@code problems} empty); {@code number} as Meta has
     * it (null when Meta did not show it); {@code webhooksSubscribed}, whether an app takes the account's webhooks (null
     * when Meta did not say).
     */
    @Schema(name = "SenderCheck")
    public record Result(String sender, boolean ok, MetaNumber number, Boolean webhooksSubscribed, List<String> problems) {}

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
        return new Result(sender.name(), problems.isEmpty(), number, subscribed, problems);
    }

    private static String text(JsonNode node, String field) {
        return node.path(field).asString(null);
    }
}

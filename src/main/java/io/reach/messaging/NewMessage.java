package io.reach.messaging;

import io.reach.shared.ApiException;
import io.reach.shared.FieldProblem;
import io.reach.shared.MessageCategory;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A message about to be recorded: queued for its channel's dispatcher, or blocked with the reason; {@code category}
 * is the one its consent was checked for (null for a free-form text, which answers the contact); {@code asksForReply}
 * when a flow waits for a reply to it, so that a text the contact types after it answers it, not an earlier question;
 * {@code answersKeyword} when it answers the contact's own STOP or START, and so goes out whatever its opt-out and
 * consent (every other message is checked against them again when a dispatcher takes it).
 */
public record NewMessage(
        Channel channel,
        UUID senderId,
        UUID contactId,
        String recipient,
        String templateName,
        String templateLanguage,
        String campaignId,
        String idempotencyKey,
        String renderedText,
        String blockedReason,
        MessageCategory category,
        boolean asksForReply,
        boolean answersKeyword) {

    /** A message that heeds the contact's opt-out and consent (every one but an answer to a keyword). */
    public NewMessage(Channel channel, UUID senderId, UUID contactId, String recipient, String templateName,
                      String templateLanguage, String campaignId, String idempotencyKey, String renderedText,
                      String blockedReason, MessageCategory category, boolean asksForReply) {
        this(channel, senderId, contactId, recipient, templateName, templateLanguage, campaignId, idempotencyKey,
                renderedText, blockedReason, category, asksForReply, false);
    }

    /** The longest campaign id: a flow's name (at most 200) is the campaign of the messages it sends. */
    public static final int MAX_CAMPAIGN_ID = 200;
    public static final int MAX_IDEMPOTENCY_KEY = 200;

    public boolean blocked() {
        return blockedReason != null;
    }

    /** What is wrong with a send request's campaign id and idempotency key (both optional), for every channel alike. */
    public static List<FieldProblem> problemsOf(String campaignId, String idempotencyKey) {
        List<FieldProblem> problems = new ArrayList<>();
        if (campaignId != null && (campaignId.isBlank() || campaignId.length() > MAX_CAMPAIGN_ID)) {
            problems.add(new FieldProblem("campaignId", "must be 1 to " + MAX_CAMPAIGN_ID + " characters"));
        }
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > MAX_IDEMPOTENCY_KEY)) {
            problems.add(new FieldProblem("idempotencyKey", "must be 1 to " + MAX_IDEMPOTENCY_KEY + " characters"));
        }
        return problems;
    }

    /** Refuses a send request whose campaign id or idempotency key is blank or too long (400, naming the field). */
    public static void checkCampaignAndKey(String campaignId, String idempotencyKey) {
        List<FieldProblem> problems = problemsOf(campaignId, idempotencyKey);
        if (!problems.isEmpty()) {
            throw ApiException.badRequest("invalid_request",
                    problems.getFirst().field() + ": " + problems.getFirst().message(), problems);
        }
    }
}

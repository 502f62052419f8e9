package io.reach.messaging.whatsapp;

import io.reach.template.ButtonParameter;
import io.reach.template.TemplateValues;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * A request to send a template to one contact, named by {@code to} (a phone number) or {@code contactId}.
 * {@code sender} is a sender's name or id. {@code idempotencyKey} makes a repeated request return the first
 * request's message instead of sending again. {@code headerParameters} and {@code bodyParameters} are lists in the
 * placeholders' order, or objects by name for a template whose placeholders are named.
 */
public record SendTemplateRequest(
        String sender,
        String to,
        String contactId,
        String template,
        String language,
        @Schema(description = TemplateValues.DESCRIPTION, example = "[\"A-17\"]") TemplateValues headerParameters,
        @Schema(description = TemplateValues.DESCRIPTION, example = "[\"Anna\", \"A-17\"]") TemplateValues bodyParameters,
        List<ButtonParameter> buttonParameters,
        String campaignId,
        String idempotencyKey) {}

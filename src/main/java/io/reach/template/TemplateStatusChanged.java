package io.reach.template;

/**
 * A template's review status changed (Meta's review webhook, or by hand through the API): published in the transaction
 * that changed it, so that what still waits to be sent with it follows (a paused template's queued messages would each
 * be refused by Meta).
 */
public record TemplateStatusChanged(Template before, Template now) {}

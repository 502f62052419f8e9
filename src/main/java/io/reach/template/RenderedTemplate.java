package io.reach.template;

/** A template with its parameters checked and filled in: the text the recipient reads, and the values to send. */
public record RenderedTemplate(Template template, TemplateParameters parameters, String text) {}

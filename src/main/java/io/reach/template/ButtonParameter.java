package io.reach.template;

/** The per-message value of one button: a URL suffix, a coupon code or a quick-reply payload, by button index. */
public record ButtonParameter(Integer index, String value) {}

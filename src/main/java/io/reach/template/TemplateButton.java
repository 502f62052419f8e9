package io.reach.template;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** One button of a template, in Meta's shape: QUICK_REPLY, URL (with at most one {{1}} suffix), PHONE_NUMBER or COPY_CODE. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TemplateButton(
        String type,
        String text,
        String url,
        @JsonProperty("phone_number") @JsonAlias("phoneNumber") String phoneNumber,
        String example) {

    @JsonIgnore
    public boolean isQuickReplyButton() {
        return "QUICK_REPLY".equals(type);
    }

    @JsonIgnore
    public boolean isUrlButton() {
        return "URL".equals(type);
    }

    @JsonIgnore
    public boolean isCopyCodeButton() {
        return "COPY_CODE".equals(type);
    }

    /** A URL button whose URL ends in {{1}} takes a suffix per message. */
    @JsonIgnore
    public boolean hasDynamicUrl() {
        return isUrlButton() && url != null && url.contains("{{");
    }
}

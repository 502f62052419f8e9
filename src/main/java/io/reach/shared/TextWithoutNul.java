package io.reach.shared;

import tools.jackson.core.JsonParser;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.JacksonModule;
import tools.jackson.databind.deser.jdk.StringDeserializer;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.module.SimpleModule;

/**
 * Text of a request body read as Jackson reads it, but refused when it holds the NUL character (U+0000): PostgreSQL's
 * text cannot store it, and the request failed with a 500 there (H2 took it). A file saved as UTF-16 and sent as
 * UTF-8 is full of them. Only for what clients send: what Reach reads back from its own tables or from providers is
 * read as it is.
 */
public final class TextWithoutNul extends StringDeserializer {

    /** What {@link JsonProblem} says of such text. */
    static final String PROBLEM = "must not contain the NUL character (U+0000)";

    /** The module that reads every text of a document this way. */
    public static JacksonModule module() {
        return new SimpleModule("text-without-nul").addDeserializer(String.class, new TextWithoutNul());
    }

    private TextWithoutNul() {}

    @Override
    public String deserialize(JsonParser parser, DeserializationContext context) {
        String text = super.deserialize(parser, context);
        if (text != null && text.indexOf('\u0000') >= 0) {
            throw InvalidFormatException.from(parser, PROBLEM, text, String.class);
        }
        return text;
    }
}

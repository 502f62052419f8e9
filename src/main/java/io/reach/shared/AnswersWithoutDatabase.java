package io.reach.shared;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an API endpoint that answers from the node's memory alone (an SMPP link's state): it still answers while the
 * database is out of reach, when every other API request is refused at once (see {@link DatabaseOutage}).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface AnswersWithoutDatabase {}

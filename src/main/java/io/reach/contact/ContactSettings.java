package io.reach.contact;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Contact settings ({@code reach.contacts.*}).
 *
 * @param defaultRegion ISO 3166 region assumed for numbers written without a country code (e.g. NL); blank: none
 */
@ConfigurationProperties("reach.contacts")
public record ContactSettings(String defaultRegion) {}

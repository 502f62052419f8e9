package io.reach.shared;

import org.apache.tomcat.util.buf.EncodedSolidusHandling;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Lets a name that holds a slash go where an id goes, percent-encoded ({@code /api/v1/flows/Orders%20%2F%20VIP}): a
 * flow's name is free text, and Tomcat refuses a path with an encoded slash (400) unless told otherwise. The encoded
 * slash is passed on as it is, never read as a separator, so it cannot lead to another path than the one it is in;
 * Spring decodes it in the path variable.
 */
@Configuration(proxyBeanMethods = false)
class EncodedSlashesInPaths {

    @Bean
    static TomcatConnectorCustomizer encodedSlashesPassedOn() {
        return connector -> connector.setEncodedSolidusHandling(EncodedSolidusHandling.PASS_THROUGH.getValue());
    }
}

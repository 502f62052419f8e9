package io.reach.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

class FetchHostsTest {

    @Test
    void allowsAnyHostWhileNoneIsSet() {
        assertThat(new FetchHosts(List.of()).allows("169.254.169.254")).isTrue();
        assertThat(new FetchHosts(List.of(" ", "")).allows("anything.example")).isTrue();
    }

    @Test
    void allowsTheHostsListedInAnyCaseAndThoseUnderADomainButNotTheDomainItself() {
        FetchHosts hosts = new FetchHosts(List.of("crm.example.com", "*.shop.example", "10.0.0.7", "[::1]"));

        assertThat(hosts.allows("CRM.example.com")).isTrue();
        assertThat(hosts.allows("crm.example.com.")).isTrue();
        assertThat(hosts.allows("api.shop.example")).isTrue();
        assertThat(hosts.allows("eu.api.shop.example")).isTrue();
        assertThat(hosts.allows("10.0.0.7")).isTrue();
        assertThat(hosts.allows("[::1]")).isTrue();
        assertThat(hosts.allows("shop.example")).isFalse();
        assertThat(hosts.allows("evilshop.example")).isFalse();
        assertThat(hosts.allows("crm.example.com.evil.example")).isFalse();
        assertThat(hosts.allows("10.0.0.8")).isFalse();
        assertThat(hosts.allows(null)).isFalse();
    }

    @Test
    void saysWhichHostIsRefusedAndWhichAreAllowed() {
        FetchHosts hosts = new FetchHosts(List.of("crm.example.com"));

        assertThat(hosts.refusal(URI.create("http://169.254.169.254/latest"))).contains(
                "the host 169.254.169.254 is not one reach.flows.fetch-hosts allows (crm.example.com)");
        assertThat(hosts.refusal(URI.create("https://crm.example.com:8443/x"))).isEmpty();
    }

    @Test
    void refusesASettingThatIsNoHostNamingIt() {
        for (String bad : List.of("https://crm.example.com", "crm.example.com:443", "crm.example.com/api", "*", "*.", "a.*.example")) {
            assertThatThrownBy(() -> new FetchHosts(List.of("ok.example", bad)))
                    .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                    .hasMessageContaining("reach.flows.fetch-hosts")
                    .hasMessageContaining("'" + bad + "' is not a host");
        }
    }

    @Test
    void findsTheHostOfAUrlOnlyWhenNoPlaceholderHidesIt() {
        assertThat(FetchHosts.literalHost("https://crm.example.com/c/{{id}}?x={{y}}")).map(URI::getHost).contains("crm.example.com");
        assertThat(FetchHosts.literalHost("http://u:p@10.0.0.7:8080#f")).map(URI::getHost).contains("10.0.0.7");
        assertThat(FetchHosts.literalHost("https://{{host}}/c")).isEmpty();
        assertThat(FetchHosts.literalHost("{{backend}}/c")).isEmpty();
    }
}

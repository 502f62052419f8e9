package io.reach.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class RecentTest {

    private record Sent(String to, String callback, int n) {}

    @Test
    void findsRecordsByEachKeyInArrivalOrder() {
        Recent<Sent> recent = new Recent<>(10, Sent::to, Sent::callback);
        recent.add(new Sent("+1", "a", 1));
        recent.add(new Sent("+2", "b", 2));
        recent.add(new Sent("+1", "c", 3));

        assertThat(recent.find(0, "+1")).extracting(Sent::n).containsExactly(1, 3);
        assertThat(recent.find(1, "b")).extracting(Sent::n).containsExactly(2);
        assertThat(recent.find(0, "+3")).isEmpty();
        assertThat(recent.all()).extracting(Sent::n).containsExactly(1, 2, 3);
    }

    @Test
    void leavesARecordWhoseKeyIsNullOutOfThatIndexOnly() {
        Recent<Sent> recent = new Recent<>(10, Sent::to, Sent::callback);
        recent.add(new Sent("+1", null, 1));

        assertThat(recent.find(0, "+1")).extracting(Sent::n).containsExactly(1);
        assertThat(recent.find(1, "null")).isEmpty();
        assertThat(recent.all()).hasSize(1);
    }

    @Test
    void forgetsTheOldestRecordsBeyondItsLimitEverywhere() {
        Recent<Sent> recent = new Recent<>(3, Sent::to, Sent::callback);
        IntStream.rangeClosed(1, 5).forEach(n -> recent.add(new Sent(n % 2 == 0 ? "+even" : "+odd", "cb" + n, n)));

        assertThat(recent.all()).extracting(Sent::n).containsExactly(3, 4, 5);
        assertThat(recent.find(0, "+odd")).extracting(Sent::n).containsExactly(3, 5);
        assertThat(recent.find(0, "+even")).extracting(Sent::n).containsExactly(4);
        assertThat(recent.find(1, "cb1")).isEmpty();
        assertThat(recent.find(1, "cb2")).isEmpty();
        assertThat(recent.find(1, "cb3")).extracting(Sent::n).containsExactly(3);
    }

    @Test
    void aBoundedMapKeepsItsNewestKeysAndComputesOnceAKey() {
        Map<String, Integer> map = Recent.map(2);
        AtomicInteger computed = new AtomicInteger();
        map.computeIfAbsent("a", k -> computed.incrementAndGet());
        map.computeIfAbsent("a", k -> computed.incrementAndGet());
        map.merge("b", 1, Integer::sum);
        map.merge("b", 1, Integer::sum);
        map.put("c", 7);

        assertThat(computed).hasValue(1);
        assertThat(map).containsOnlyKeys("b", "c").containsEntry("b", 2);
    }

    @Test
    void refusesALimitBelowOne() {
        assertThatThrownBy(() -> new Recent<Sent>(0, Sent::to)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one");
        assertThatThrownBy(() -> Recent.map(0)).isInstanceOf(IllegalArgumentException.class);
    }
}

package io.reach.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reach.support.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class UnansweredClaimsTest {

    private static final Instant NOW = Instant.parse("2026-12-05T10:00:00Z");
    private static final Instant LEASE_ENDS = NOW.plus(Duration.ofMinutes(1));

    private final MutableClock clock = new MutableClock(NOW);
    private final List<String> givenBack = new ArrayList<>();
    private final UnansweredClaims<Integer> claims = new UnansweredClaims<>(clock,
            (ids, leaseUntil) -> givenBack.add(ids + " until " + leaseUntil));

    @Test
    void givesBackWhatAClaimThatFailedHadLeasedAtTheNextGiveBack() {
        assertThatThrownBy(() -> claims.claim(LEASE_ENDS, leasing -> {
            leasing.addAll(List.of(1, 2));
            throw new IllegalStateException("the commit's answer was lost");
        })).hasMessage("the commit's answer was lost");
        assertThat(givenBack).isEmpty();

        claims.giveBack();
        claims.giveBack();

        assertThat(givenBack).containsExactly("[1, 2] until " + LEASE_ENDS);
    }

    @Test
    void keepsNothingOfAClaimThatCommittedOrFailedBeforeItLeasedAnything() {
        String claimed = claims.claim(LEASE_ENDS, leasing -> {
            leasing.add(1);
            return "claimed";
        });
        assertThat(claimed).isEqualTo("claimed");
        assertThatThrownBy(() -> claims.claim(LEASE_ENDS, leasing -> {
            throw new IllegalStateException("the claim's select failed");
        }));

        claims.giveBack();

        assertThat(givenBack).isEmpty();
    }

    @Test
    void triesAgainAtTheNextGiveBackWhileTheDatabaseStillFails() {
        List<String> tries = new ArrayList<>();
        UnansweredClaims<Integer> failingOnce = new UnansweredClaims<>(clock, (ids, leaseUntil) -> {
            tries.add(ids.toString());
            if (tries.size() == 1) {
                throw new IllegalStateException("the database is still out of reach");
            }
        });
        failAClaimOf(failingOnce, 1);
        failAClaimOf(failingOnce, 2);

        failingOnce.giveBack();
        assertThat(tries).containsExactly("[1]");
        failingOnce.giveBack();
        failingOnce.giveBack();

        assertThat(tries).containsExactly("[1]", "[1]", "[2]");
    }

    @Test
    void givesNothingBackOnceTheLeaseEnded() {
        failAClaimOf(claims, 1);
        clock.advance(Duration.ofMinutes(1));

        claims.giveBack();

        assertThat(givenBack).isEmpty();
    }

    @Test
    void aGiveBackThatAnotherOneOvertookStillGivesBackEveryLease() {
        List<String> released = new ArrayList<>();
        LeasesToGiveBack<String>[] leases = new LeasesToGiveBack[1];
        boolean[] overtaken = {false};
        boolean[] secondFailedOnce = {false};
        leases[0] = new LeasesToGiveBack<>(clock, lease -> LEASE_ENDS, lease -> {
            if (lease.equals("second") && !secondFailedOnce[0]) {
                secondFailedOnce[0] = true;
                throw new IllegalStateException("the database is still out of reach");
            }
            released.add(lease);
            if (!overtaken[0]) {
                // Another thread gives back meanwhile: it takes the first again, and stops at the second.
                overtaken[0] = true;
                leases[0].giveBack();
            }
        });
        leases[0].add("first");
        leases[0].add("second");

        leases[0].giveBack();

        assertThat(released).containsExactly("first", "first", "second");
    }

    private static void failAClaimOf(UnansweredClaims<Integer> claims, int id) {
        assertThatThrownBy(() -> claims.claim(LEASE_ENDS, leasing -> {
            leasing.add(id);
            throw new IllegalStateException("the commit's answer was lost");
        }));
    }
}

package io.reach.shared;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Claims whose transaction failed once they knew what they lease. A commit whose answer the connection lost (a
 * dropped connection, a failover) may have gone through: its leases would then hold work that no thread of this node
 * takes, until they end. Given back before the next claim, by the claim's own lease end, so that nothing changes if
 * the commit did not go through, and a lease another claim took since is left alone.
 */
public final class UnansweredClaims<I> {

    private record Claim<I>(List<I> ids, Instant leaseUntil) {}

    private final LeasesToGiveBack<Claim<I>> leases;

    /** {@code releaseIfLeasedUntil} gives back those of the ids whose lease still ends at the instant it is given. */
    public UnansweredClaims(Clock clock, BiConsumer<List<I>, Instant> releaseIfLeasedUntil) {
        this.leases = new LeasesToGiveBack<>(clock, Claim::leaseUntil,
                claim -> releaseIfLeasedUntil.accept(claim.ids(), claim.leaseUntil()));
    }

    /**
     * Runs {@code claim}, whose leases end at {@code leaseUntil} and which adds the ids it leases to the list it is
     * given before its transaction commits; should it throw, those are kept to be given back.
     */
    public <T> T claim(Instant leaseUntil, Function<List<I>, T> claim) {
        List<I> leasing = new ArrayList<>();
        try {
            return claim.apply(leasing);
        } catch (RuntimeException e) {
            if (!leasing.isEmpty()) {
                leases.add(new Claim<>(List.copyOf(leasing), leaseUntil));
            }
            throw e;
        }
    }

    /** Gives back what failed claims may have leased (see {@link LeasesToGiveBack#giveBack}). Never throws. */
    public void giveBack() {
        leases.giveBack();
    }
}

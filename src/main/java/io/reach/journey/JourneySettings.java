package io.reach.journey;

import io.reach.shared.SettingChecks;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The journey engine ({@code reach.journeys.*}).
 *
 * @param engineEnabled whether this node advances journeys (all nodes may: leases keep them apart)
 * @param batchSize     most journeys claimed at once (the engine claims as its threads free up, a quarter of
 *                      {@code concurrency} at least)
 * @param concurrency   journeys advanced at once per node
 * @param runningConcurrency of those, most journeys advanced at once that are running (new ones, or ones taken off
 *                      their turn) rather than woken by a status, a reply or their time: the rest is kept for the
 *                      woken ones, so that a launch or a burst of events cannot take every thread and the CPU from
 *                      the fallbacks of journeys already under way; 0 (the default) means one fewer than the
 *                      machine has cores, at least one (see {@link #runningShare()})
 * @param lease         how long a claimed journey stays reserved for the node that claimed it
 * @param pollInterval  how often an idle engine looks for due journeys (new work wakes it at once)
 * @param stepsPerTurn  steps one journey may take before the engine turns to others
 */
@ConfigurationProperties("reach.journeys")
public record JourneySettings(
        @DefaultValue("true") boolean engineEnabled,
        @DefaultValue("32") int batchSize,
        @DefaultValue("16") int concurrency,
        @DefaultValue("0") int runningConcurrency,
        @DefaultValue("60s") Duration lease,
        @DefaultValue("500ms") Duration pollInterval,
        @DefaultValue("50") int stepsPerTurn) {

    public JourneySettings {
        SettingChecks.atLeast("reach.journeys.batch-size", batchSize, 1);
        SettingChecks.atLeast("reach.journeys.concurrency", concurrency, 1);
        SettingChecks.atLeast("reach.journeys.running-concurrency", runningConcurrency, 0);
        SettingChecks.positive("reach.journeys.lease", lease);
        SettingChecks.positive("reach.journeys.poll-interval", pollInterval);
        SettingChecks.atLeast("reach.journeys.steps-per-turn", stepsPerTurn, 1);
    }

    /**
     * How many running journeys may be advanced at once: {@code runningConcurrency}, or one fewer than the machine's
     * cores (at least one), and no more than {@code concurrency}. The core left over is for the journeys a status or a
     * reply woke, and for the webhooks and dispatchers their fallbacks go through: with every core's worth of running
     * journeys, a saturated two-core machine took the p99 failed→SMS to 277–372 ms where one fewer gave 222–282 ms,
     * at the same or up to a quarter fewer journeys/s (docs/PERFORMANCE.md, 2026-12-03 from 16:15).
     */
    public int runningShare() {
        int wanted = runningConcurrency > 0 ? runningConcurrency : Runtime.getRuntime().availableProcessors() - 1;
        return Math.max(1, Math.min(wanted, concurrency));
    }
}

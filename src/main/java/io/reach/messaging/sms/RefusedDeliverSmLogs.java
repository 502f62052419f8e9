package io.reach.messaging.sms;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.jsmpp.extra.ProcessRequestException;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.springframework.util.ClassUtils;

/**
 * Drops jSMPP's ERROR line, stack trace included, about a deliver_sm Reach refused on purpose ("Failed processing
 * deliver_sm"): Reach says why itself, once per database outage, where jSMPP would say it for every receipt.
 */
final class RefusedDeliverSmLogs extends TurboFilter {

    private static final String NAME = RefusedDeliverSmLogs.class.getName();

    /** Adds the filter to Logback's context once, whatever the number of Reach applications in the process. */
    static void install() {
        if (!ClassUtils.isPresent("ch.qos.logback.classic.LoggerContext", null)
                || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        synchronized (RefusedDeliverSmLogs.class) {
            if (context.getTurboFilterList().stream().noneMatch(f -> NAME.equals(f.getName()))) {
                RefusedDeliverSmLogs filter = new RefusedDeliverSmLogs();
                filter.setName(NAME);
                filter.start();
                context.addTurboFilter(filter);
            }
        }
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        return level == Level.ERROR && t instanceof ProcessRequestException refusal
                && SmppLinks.REFUSED_FOR_NOW.equals(refusal.getMessage()) && logger.getName().startsWith("org.jsmpp.")
                ? FilterReply.DENY : FilterReply.NEUTRAL;
    }
}

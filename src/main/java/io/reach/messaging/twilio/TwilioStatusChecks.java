package io.reach.messaging.twilio;

import io.reach.messaging.Channel;
import io.reach.messaging.MessageStatus;
import io.reach.messaging.Messages;
import io.reach.messaging.MessagingSettings;
import io.reach.messaging.StatusReport;
import io.reach.sender.ProviderAccount;
import io.reach.sender.Senders;
import io.reach.shared.BackgroundWorker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * Asks Twilio for the status of the calls and SMS it took when their callbacks have brought no final status in time.
 * Twilio does not try a status callback again that found Reach down or restarting, so without this a journey would
 * wait out its timeout, and take its fallback, for a call that was answered. The checks fall at
 * {@code reach.messaging.status-checks} after the send (2 min, 10 min, 1 h and 6 h by default) until one brings a
 * final status; a status a check brings goes through the status model like a callback's, so one that a callback
 * brought too counts once. Several nodes share the checks, each claimed by one.
 */
@Component
public class TwilioStatusChecks extends BackgroundWorker {

    private static final Logger log = LoggerFactory.getLogger(TwilioStatusChecks.class);

    /** Checks claimed at once: each is one request to Twilio. */
    static final int BATCH = 20;

    private final Messages messages;
    private final Senders senders;
    private final TwilioGateway twilio;
    private final MessagingSettings settings;
    private final TransactionTemplate transactions;
    private final JsonMapper json;
    private final Clock clock;

    TwilioStatusChecks(Messages messages, Senders senders, TwilioGateway twilio, MessagingSettings settings,
                       TransactionTemplate transactions, JsonMapper json, Clock clock) {
        super("twilio-status-checks", Duration.ofSeconds(1), !settings.statusChecks().isEmpty());
        this.messages = messages;
        this.senders = senders;
        this.twilio = twilio;
        this.settings = settings;
        this.transactions = transactions;
        this.json = json;
        this.clock = clock;
    }

    /** Records that Twilio took the message, and when to ask for its status unless a callback has told it by then. */
    public void accepted(UUID messageId, String sid) {
        messages.recordSubmitted(messageId, sid, settings.statusChecks().isEmpty() ? null
                : clock.instant().plus(settings.statusChecks().getFirst()));
    }

    @Override
    protected int doWork() {
        List<Messages.StatusCheck> due = transactions.execute(tx -> messages.claimStatusChecks(BATCH, settings.lease()));
        if (due == null) {
            return 0;
        }
        due.forEach(this::check);
        return due.size();
    }

    private void check(Messages.StatusCheck check) {
        Instant now = clock.instant();
        Optional<TwilioGateway.Fetched> fetched = fetch(check);
        Optional<TwilioStatuses.Mapped> mapped = fetched.flatMap(found -> inReachsModel(check.channel(), found));
        Instant next = settings.nextStatusCheck(check.checks(), now).orElse(null);
        if (fetched.isEmpty()) {
            log.debug("Twilio could not say the status of message {} ({})", check.id(), check.providerMessageId());
        }
        transactions.executeWithoutResult(tx -> {
            messages.statusChecked(check.id(), next);
            // After the next check is set: a final status clears it.
            mapped.ifPresent(status -> messages.applyStatus(check.channel(), check.senderId(), new StatusReport(
                    status.status(), now, check.providerMessageId(),
                    status.error() == null ? null : status.error().code(), status.error() == null ? null : status.error().title(),
                    "asked of Twilio: no callback had told it", null), check.id(), payload(check, fetched.get())));
        });
    }

    private Optional<TwilioGateway.Fetched> fetch(Messages.StatusCheck check) {
        if (check.providerMessageId() == null
                || check.status() != MessageStatus.SUBMITTED && check.status() != MessageStatus.SENT) {
            return Optional.empty();
        }
        ProviderAccount account = senders.providerAccount(check.senderId());
        return check.channel() == Channel.VOICE ? twilio.fetchCall(account, check.providerMessageId())
                : twilio.fetchSms(account, check.providerMessageId());
    }

    private static Optional<TwilioStatuses.Mapped> inReachsModel(Channel channel, TwilioGateway.Fetched fetched) {
        return channel == Channel.VOICE ? TwilioStatuses.call(fetched.status(), fetched.errorCode())
                : TwilioStatuses.message(fetched.status(), fetched.errorCode());
    }

    /** What the check found, kept like a callback's body. */
    private String payload(Messages.StatusCheck check, TwilioGateway.Fetched fetched) {
        Map<String, Object> found = new LinkedHashMap<>();
        found.put("source", "status check");
        found.put("sid", check.providerMessageId());
        found.put("status", fetched.status());
        found.put("errorCode", fetched.errorCode());
        return json.writeValueAsString(found);
    }
}

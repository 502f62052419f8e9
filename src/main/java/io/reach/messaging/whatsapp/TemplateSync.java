package io.reach.messaging.whatsapp;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.reach.sender.Sender;
import io.reach.sender.Senders;
import io.reach.sender.WhatsAppAccount;
import io.reach.shared.ApiException;
import io.reach.shared.MessageCategory;
import io.reach.template.Template;
import io.reach.template.TemplateRequest;
import io.reach.template.Templates;
import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.annotation.PreDestroy;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;

/**
 * Takes a WhatsApp Business Account's templates from Meta ({@code GET /{waba-id}/message_templates}, every page) and
 * registers them as the account's, or brings the account's registered ones in line with Meta's: category, status and
 * components (one registered without an account is taken as this account's). Every page is read
 * before anything is written, so a failed read changes nothing. A template that is no longer approved has its queued
 * messages withdrawn, as Meta's review webhook withdraws them.
 */
@Component
class TemplateSync {

    private static final Logger log = LoggerFactory.getLogger(TemplateSync.class);

    /** Templates asked for per page. */
    static final int PAGE_SIZE = 100;
    /** The most pages read: 10,000 templates, more than Meta lets an account have. */
    static final int MAX_PAGES = 100;
    private static final String FIELDS = "name,language,category,status,components";

    private final GraphApiReads reads;
    private final Templates templates;
    private final QueuedTemplateMessages queued;
    private final Senders senders;
    // Syncs asked for by Meta's webhooks, one at a time, off the thread that applies the webhook.
    private final ExecutorService background = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("template-sync").factory());
    private final Set<String> pending = ConcurrentHashMap.newKeySet();

    TemplateSync(GraphApiReads reads, Templates templates, QueuedTemplateMessages queued, Senders senders) {
        this.reads = reads;
        this.templates = templates;
        this.queued = queued;
        this.senders = senders;
    }

    @PreDestroy
    void stop() {
        background.shutdownNow();
    }

    /**
     * Takes the account's templates in the background, through one of its senders (none registered: nothing), once
     * for the requests that come while one waits: when Meta approves a template Reach does not have, so that it can
     * be sent without a sync asked for by hand. A failure is logged at WARN.
     */
    void syncSoon(String wabaId, String why) {
        if (wabaId == null || !pending.add(wabaId)) {
            return;
        }
        try {
            background.execute(() -> {
                // Before the read: a request that comes during it asks for the next one.
                pending.remove(wabaId);
                try {
                    senders.whatsAppNumbersOf(wabaId).stream().findFirst().map(number -> senders.account(number.id()))
                            .ifPresent(account -> {
                                log.info("Taking the templates of WhatsApp Business Account {} (sender {}): {}", wabaId,
                                        account.sender().name(), why);
                                sync(account);
                            });
                } catch (RuntimeException e) {
                    log.warn("Could not take the templates of WhatsApp Business Account {} ({}): {}; POST"
                            + " /api/v1/templates/sync takes them by hand", wabaId, why, e.getMessage());
                }
            });
        } catch (RejectedExecutionException stopping) {
            pending.remove(wabaId);
        }
    }

    /**
     * A template of the account that Reach registered or changed; {@code changes} says what changed (none when
     * registered), and {@code flowsNotFitting} names the published flows' sends whose parameters no longer fit its
     * placeholders (their sends are blocked until a version that fits is published).
     */
    @Schema(name = "TemplateSynced")
    public record Synced(String name, String language, MessageCategory category, String status,
                         @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> changes,
                         @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> flowsNotFitting) {}

    /** A template of the account that Reach cannot send, and why. */
    @Schema(name = "TemplateSkipped")
    public record Skipped(String name, String language, String reason) {}

    /** A template registered in Reach, by name and language. */
    @Schema(name = "TemplateNotInAccount")
    public record Registered(String name, String language) {}

    /**
     * What a sync did: the templates it registered ({@code created}), changed ({@code updated}: with their queued
     * messages withdrawn, {@code withdrawnMessages}, when they are no longer approved), found as they were
     * ({@code unchanged}) or {@code skipped}; and the templates registered in Reach that the account does not have
     * ({@code notInAccount}: the account's or registered without one, that Meta no longer lists or never did).
     */
    @Schema(name = "TemplateSyncResult")
    public record Result(String sender, String wabaId, List<Synced> created, List<Synced> updated, int unchanged,
                         List<Skipped> skipped, List<Registered> notInAccount, int withdrawnMessages) {}

    Result sync(WhatsAppAccount account) {
        Sender sender = account.sender();
        List<JsonNode> listed = list(account);
        List<Synced> created = new ArrayList<>();
        List<Synced> updated = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        Set<Registered> inAccount = new HashSet<>();
        int unchanged = 0;
        int withdrawn = 0;
        int done = 0;
        for (JsonNode template : listed) {
            // Each template is written in a transaction of its own: thousands take a while, so say how far.
            if (done > 0 && done % PAGE_SIZE == 0) {
                log.info("Writing the templates of WhatsApp Business Account {} (sender {}): {} of {} done",
                        sender.wabaId(), sender.name(), done, listed.size());
            }
            done++;
            MetaTemplates.Read read = MetaTemplates.read(template);
            inAccount.add(new Registered(read.name(), read.language()));
            if (read instanceof MetaTemplates.Unusable unusable) {
                skipped.add(new Skipped(unusable.name(), unusable.language(), unusable.reason()));
                continue;
            }
            TemplateRequest request = ((MetaTemplates.Usable) read).request();
            Templates.Followed followed = templates.follow(new TemplateRequest(request.name(),
                    request.language(), request.category(), request.status(), request.components(), request.parameterFormat(),
                    sender.wabaId()));
            Template now = followed.now();
            if (followed.created()) {
                created.add(new Synced(now.name(), now.language(), now.category(), now.status(), List.of(), List.of()));
            } else if (followed.changed()) {
                List<String> changes = changes(followed.before(), now);
                int withdrawnNow = (followed.before().isApproved() ? queued.withdrawUnlessApproved(now) : 0)
                        + (followed.before().category() != now.category() ? queued.withdrawWithoutConsent(now) : 0);
                withdrawn += withdrawnNow;
                List<String> notFitting = followed.before().components().equals(now.components()) ? List.of()
                        : templates.usersNotFitting(now);
                updated.add(new Synced(now.name(), now.language(), now.category(), now.status(), changes, notFitting));
                log.info("Template {} ({}) follows Meta's: {}{}", now.name(), now.language(), String.join(", ", changes),
                        withdrawnNow == 0 ? "" : "; " + withdrawnNow + " of its queued messages withdrawn");
                if (!notFitting.isEmpty()) {
                    log.warn("Template {} ({}) changed at Meta, and sends of published flows no longer fit it: {}. Their"
                            + " messages are blocked (the journeys take their fallback) until a version that fits is"
                            + " published", now.name(), now.language(), String.join("; ", notFitting));
                }
            } else {
                unchanged++;
            }
        }
        List<Registered> notInAccount = templates.ofAccountOrNone(sender.wabaId()).stream()
                .map(t -> new Registered(t.name(), t.language())).filter(t -> !inAccount.contains(t)).distinct().toList();
        log.info("Took the templates of WhatsApp Business Account {} (sender {}): {} registered, {} changed, {} unchanged, "
                        + "{} that Reach cannot send skipped", sender.wabaId(), sender.name(), created.size(), updated.size(),
                unchanged, skipped.size());
        return new Result(sender.name(), sender.wabaId(), created, updated, unchanged, skipped, notInAccount, withdrawn);
    }

    private static List<String> changes(Template before, Template now) {
        List<String> changes = new ArrayList<>();
        if (before.category() != now.category()) {
            changes.add("category " + before.category().wireName() + " → " + now.category().wireName());
        }
        if (!before.status().equals(now.status())) {
            changes.add("status " + before.status() + " → " + now.status());
        }
        if (!before.components().equals(now.components())) {
            changes.add("components");
        }
        return changes;
    }

    /** Every template of the account, page after page, as Meta lists them. */
    private List<JsonNode> list(WhatsAppAccount account) {
        String url = account.sender().wabaId() + "/message_templates?fields=" + FIELDS + "&limit=" + PAGE_SIZE;
        List<JsonNode> listed = new ArrayList<>();
        String after = null;
        for (int page = 0; page < MAX_PAGES; page++) {
            // The next page from the cursor, on the sender's own base URL: the token goes nowhere else, whatever the
            // answer's "next" names.
            JsonNode answer = get(account, after == null ? url : url + "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8));
            answer.path("data").forEach(listed::add);
            after = answer.path("paging").path("cursors").path("after").asString(null);
            if (!answer.path("paging").hasNonNull("next") || after == null || answer.path("data").isEmpty()) {
                return listed;
            }
            // An account of thousands of templates takes a page of Meta's at a time, a minute or more in all: how far.
            log.info("Reading the templates of WhatsApp Business Account {} (sender {}): {} so far, on to page {}",
                    account.sender().wabaId(), account.sender().name(), listed.size(), page + 2);
        }
        throw new ApiException(HttpStatus.BAD_GATEWAY, "meta_error", "WhatsApp Business Account " + account.sender().wabaId()
                + " lists more than " + MAX_PAGES * PAGE_SIZE + " templates; Reach read none of them", List.of());
    }

    private JsonNode get(WhatsAppAccount account, String path) {
        try {
            JsonNode page = reads.get(account, path);
            if (page.path("data").isArray()) {
                return page;
            }
            throw new GraphApiReads.Refused("an answer without a list of templates");
        } catch (GraphApiReads.Unreachable e) {
            throw new ApiException(HttpStatus.BAD_GATEWAY, "meta_unreachable", e.getMessage() + "; nothing was changed",
                    List.of());
        } catch (GraphApiReads.Refused e) {
            throw new ApiException(HttpStatus.BAD_GATEWAY, "meta_error", "Meta did not list the templates of WhatsApp "
                    + "Business Account " + account.sender().wabaId() + ": " + e.meta + "; nothing was changed", List.of());
        }
    }
}

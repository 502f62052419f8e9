package io.reach.template;

import io.reach.shared.ApiException;
import io.reach.shared.FieldProblem;
import io.reach.shared.Ids;
import io.reach.shared.MessageCategory;
import io.reach.shared.Times;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** The template feature's API: register templates, find them, and render a send's parameters into one. */
@Service
public class Templates {

    private static final TypeReference<List<TemplateComponent>> COMPONENTS = new TypeReference<>() {};
    private static final String COLUMNS = "id, name, language, category, status, components, created_at, updated_at, waba_id";
    /** A template without an account ({@code waba_id}): registered by hand, or kept from before templates had one. */
    private static final String ANY_ACCOUNT = "";

    private final JdbcClient jdbc;
    private final JsonMapper json;
    private final Clock clock;
    private final List<TemplateUsers> users;
    private final ApplicationEventPublisher events;

    Templates(JdbcClient jdbc, JsonMapper json, Clock clock, List<TemplateUsers> users,
              ApplicationEventPublisher events) {
        this.jdbc = jdbc;
        this.json = json;
        this.clock = clock;
        this.users = users;
        this.events = events;
    }

    /**
     * Deletes a template that nothing published sends (one registered by mistake, or no longer wanted): a 409
     * {@code template_in_use} names the published flow versions that send it. Messages already made with it keep
     * their text, and those queued still go out.
     */
    @Transactional
    public void delete(UUID id) {
        // Locked as a publish that sends it locks it (holdForPublish): the publish that comes second sees the other's work.
        jdbc.sql("SELECT id FROM templates WHERE id = ? FOR UPDATE").param(id).query(UUID.class).optional();
        Template template = get(id);
        List<String> sending = users.stream().flatMap(u -> u.sending(template.name(), template.language()).stream()).toList();
        if (!sending.isEmpty()) {
            throw new ApiException(HttpStatus.CONFLICT, "template_in_use", "Template " + template.name() + " ("
                    + template.language() + ") is sent by " + String.join(", ", sending) + ": it stays registered while a"
                    + " published version sends it", List.of());
        }
        jdbc.sql("DELETE FROM templates WHERE id = ?").param(id).update();
    }

    /**
     * Holds a template (by name and language) until the caller's transaction ends, as a deletion holds the one it
     * deletes: a flow version being published that sends it is either published before the deletion looks for what
     * sends it (and the template stays) or checked after the template went (and refused). None held when none is
     * registered. Callers hold several in one order (by name, then language), so that two publishes do not deadlock;
     * the accounts that each have one of that name and language (several may) are held in the order of their ids.
     */
    public void holdForPublish(String name, String language) {
        jdbc.sql("SELECT id FROM templates WHERE name = ? AND language = ? ORDER BY id FOR UPDATE").params(name, language)
                .query(UUID.class).list();
    }

    public Template register(TemplateRequest request) {
        List<FieldProblem> problems = TemplateRules.check(request);
        if (!problems.isEmpty()) {
            throw ApiException.badRequest("invalid_template", problems.getFirst().field() + ": "
                    + problems.getFirst().message() + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more)" : ""),
                    problems);
        }
        if (own(request.wabaId(), request.name(), request.language()).isPresent()) {
            throw alreadyRegistered(request);
        }
        Instant now = clock.instant();
        Template template = new Template(Ids.newId(), request.name(), request.language(),
                MessageCategory.parse(request.category()).orElseThrow(),
                request.status() == null ? Template.APPROVED : request.status().toUpperCase(Locale.ROOT),
                normalised(request.components()), now, now, request.wabaId());
        try {
            jdbc.sql("INSERT INTO templates (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
                    .params(template.id(), template.name(), template.language(), template.category().name(), template.status(),
                            json.writeValueAsString(template.components()), Times.utc(now), Times.utc(now),
                            account(request.wabaId()))
                    .update();
        } catch (DuplicateKeyException registeredMeanwhile) {
            throw alreadyRegistered(request); // by another request, between the check and the insert
        }
        return template;
    }

    private static ApiException alreadyRegistered(TemplateRequest request) {
        return new ApiException(HttpStatus.CONFLICT, "conflict", "Template " + request.name() + " in " + request.language()
                + " is already registered" + (request.wabaId() == null ? " without an account"
                : " for WhatsApp Business Account " + request.wabaId()), List.of());
    }

    /** The problems that keep a template from being registered (Meta's shape rules as Reach checks them); empty if none. */
    public static List<FieldProblem> problemsOf(TemplateRequest request) {
        return TemplateRules.check(request);
    }

    /** What {@link #follow} did: {@code before} is null for a template it registered, equal to {@code now} for one unchanged. */
    public record Followed(Template before, Template now) {

        public boolean created() {
            return before == null;
        }

        public boolean changed() {
            return before != null && !(before.category() == now.category() && before.status().equals(now.status())
                    && before.components().equals(now.components()));
        }
    }

    /**
     * Registers a template as its account ({@code request.wabaId()}) has it at Meta, or brings the account's registered
     * one of that name and language in line with it: category, status and components. One registered without an
     * account is taken as this account's (the first account to sync it takes it; another then registers its own).
     * The request must have no {@link #problemsOf problems}.
     */
    // Not one transaction: a template registered by another request meanwhile is then found and updated (on
    // PostgreSQL a failed insert would abort the transaction it is in).
    public Followed follow(TemplateRequest request) {
        if (!TemplateRules.check(request).isEmpty() || request.wabaId() == null) {
            throw new IllegalArgumentException("template " + request.name() + " (" + request.language() + ") is not one Reach can register");
        }
        Optional<Template> current = own(request.wabaId(), request.name(), request.language());
        if (current.isEmpty()) {
            current = own(null, request.name(), request.language()).filter(anyAccount -> jdbc.sql("UPDATE templates"
                            + " SET waba_id = ? WHERE id = ? AND waba_id = ?").params(request.wabaId(), anyAccount.id(), ANY_ACCOUNT)
                    .update() == 1).map(taken -> get(taken.id()));
        }
        if (current.isEmpty()) {
            try {
                return new Followed(null, register(request));
            } catch (ApiException registeredMeanwhile) {
                current = own(request.wabaId(), request.name(), request.language());
                if (current.isEmpty()) {
                    throw registeredMeanwhile;
                }
            }
        }
        Template before = current.get();
        Template now = new Template(before.id(), before.name(), before.language(),
                MessageCategory.parse(request.category()).orElseThrow(),
                request.status() == null ? before.status() : request.status().toUpperCase(Locale.ROOT),
                normalised(request.components()), before.createdAt(), clock.instant(), before.wabaId());
        Followed followed = new Followed(before, now);
        if (!followed.changed()) {
            return new Followed(before, before);
        }
        jdbc.sql("UPDATE templates SET category = ?, status = ?, components = ?, updated_at = ? WHERE id = ?")
                .params(now.category().name(), now.status(), json.writeValueAsString(now.components()),
                        Times.utc(now.updatedAt()), now.id())
                .update();
        return followed;
    }

    /**
     * What sends the template with parameters that no longer fit it (its placeholders changed at Meta), each with why:
     * their sends are blocked, and their journeys take their fallback, until a version that fits is published.
     */
    public List<String> usersNotFitting(Template template) {
        return users.stream().flatMap(u -> u.notFitting(template).stream()).toList();
    }

    /** Changes a template's category (Meta recategorized it), as its account has it now. */
    public Template changeCategory(UUID id, MessageCategory category) {
        jdbc.sql("UPDATE templates SET category = ?, updated_at = ? WHERE id = ?")
                .params(category.name(), Times.now(clock), id).update();
        return get(id);
    }

    /**
     * Changes a template's review status (e.g. when Meta pauses or disables it), published as {@link TemplateStatusChanged}
     * when it is another than before.
     */
    @Transactional
    public Template changeStatus(UUID id, String status) {
        Template current = get(id);
        List<FieldProblem> problems = TemplateRules.check(new TemplateRequest(current.name(), current.language(),
                current.category().name(), status, current.components()));
        if (!problems.isEmpty()) {
            throw ApiException.badRequest("invalid_request", problems.getFirst().field() + ": " + problems.getFirst().message(), problems);
        }
        jdbc.sql("UPDATE templates SET status = ?, updated_at = ? WHERE id = ?")
                .params(status.toUpperCase(Locale.ROOT), Times.now(clock), id).update();
        Template changed = get(id);
        if (!changed.status().equals(current.status())) {
            events.publishEvent(new TemplateStatusChanged(current, changed));
        }
        return changed;
    }

    public Template get(UUID id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM templates WHERE id = ?").param(id).query(this::row).optional()
                .orElseThrow(() -> ApiException.notFound("Template", id));
    }

    /**
     * The template a sender of this WhatsApp Business Account sends by this name and language: the account's own;
     * else one registered without an account; else another account's (as Reach sent before templates had accounts,
     * so that what was sent goes on being sent until the account's own are taken). {@code wabaId} null: any.
     */
    public Optional<Template> find(String wabaId, String name, String language) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM templates WHERE name = ? AND language = ?"
                        + " ORDER BY CASE WHEN waba_id = ? THEN 0 WHEN waba_id = ? THEN 1 ELSE 2 END, waba_id FETCH FIRST 1 ROWS ONLY")
                .params(name, language, account(wabaId), ANY_ACCOUNT).query(this::row).optional();
    }

    /**
     * The template of this WhatsApp Business Account by this name and language, as Meta's news of the account's
     * templates concerns it: its own, else one registered without an account; never another account's.
     */
    public Optional<Template> ofAccount(String wabaId, String name, String language) {
        return own(wabaId, name, language).or(() -> wabaId == null ? Optional.empty() : own(null, name, language));
    }

    /** The template registered for exactly this account ({@code null}: without one) by this name and language. */
    private Optional<Template> own(String wabaId, String name, String language) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM templates WHERE name = ? AND language = ? AND waba_id = ?")
                .params(name, language, account(wabaId)).query(this::row).optional();
    }

    private static String account(String wabaId) {
        return wabaId == null ? ANY_ACCOUNT : wabaId;
    }

    /** The languages a template of this name is registered in, in order; none when it is in none. */
    public List<String> languagesOf(String name) {
        return jdbc.sql("SELECT language FROM templates WHERE name = ? ORDER BY language").param(name)
                .query(String.class).list();
    }

    /** The templates of this account and those registered without one, by name, language and account. */
    public List<Template> ofAccountOrNone(String wabaId) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM templates WHERE waba_id IN (?, ?) ORDER BY name, language, waba_id")
                .params(ANY_ACCOUNT, account(wabaId)).query(this::row).list();
    }

    /**
     * A page of the templates in the order of their names, languages and accounts: all, or those of one name or one
     * account (null: any), after the template {@code after} (the previous page's last; null: from the first). A
     * template deleted since it was read is no place to go on from: a 400 that says so.
     */
    public List<Template> page(String name, String wabaId, UUID after, int limit) {
        List<Object> params = new ArrayList<>();
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM templates WHERE 1 = 1");
        if (name != null) {
            sql.append(" AND name = ?");
            params.add(name);
        }
        if (wabaId != null) {
            sql.append(" AND waba_id = ?");
            params.add(wabaId);
        }
        if (after != null) {
            Template last = jdbc.sql("SELECT " + COLUMNS + " FROM templates WHERE id = ?").param(after).query(this::row)
                    .optional().orElseThrow(() -> ApiException.invalidField("after", "no template has this id (deleted"
                            + " since the page before was read?): list from the first page again"));
            sql.append(" AND (name, language, waba_id) > (?, ?, ?)");
            params.addAll(List.of(last.name(), last.language(), account(last.wabaId())));
        }
        sql.append(" ORDER BY name, language, waba_id LIMIT ?");
        params.add(limit);
        return jdbc.sql(sql.toString()).params(params).query(this::row).list();
    }

    /**
     * The problems of a send's parameters that show before any value is known: their number against the template's
     * placeholders, and which buttons take one (a flow's values are filled in per contact). Empty when it fits.
     */
    public static List<FieldProblem> checkShape(Template template, TemplateParameters parameters) {
        return TemplateRenderer.checkShape(template, parameters);
    }

    /** Checks the values against the template's placeholders and buttons, then fills the text in. */
    public RenderedTemplate render(Template template, TemplateParameters parameters) {
        List<FieldProblem> problems = TemplateRenderer.check(template, parameters);
        if (!problems.isEmpty()) {
            throw ApiException.badRequest("parameter_mismatch", problems.getFirst().field() + ": "
                    + problems.getFirst().message() + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more)" : ""),
                    problems);
        }
        TemplateParameters ordered = TemplateRenderer.ordered(template, parameters);
        return new RenderedTemplate(template, ordered, TemplateRenderer.text(template, ordered));
    }

    private static List<TemplateComponent> normalised(List<TemplateComponent> components) {
        return components.stream().map(c -> new TemplateComponent(c.type().toUpperCase(Locale.ROOT),
                c.format() == null ? null : c.format().toUpperCase(Locale.ROOT), c.text(),
                c.buttons() == null ? null : c.buttons().stream().map(b -> new TemplateButton(
                        b.type().toUpperCase(Locale.ROOT), b.text(), b.url(), b.phoneNumber(), b.example())).toList()))
                .toList();
    }

    private Template row(ResultSet rs, int rowNum) throws SQLException {
        return new Template(rs.getObject("id", UUID.class), rs.getString("name"), rs.getString("language"),
                MessageCategory.valueOf(rs.getString("category")), rs.getString("status"),
                json.readValue(rs.getString("components"), COMPONENTS), Times.instant(rs, "created_at"),
                Times.instant(rs, "updated_at"), rs.getString("waba_id").isEmpty() ? null : rs.getString("waba_id"));
    }
}

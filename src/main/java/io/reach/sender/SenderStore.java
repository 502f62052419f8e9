package io.reach.sender;

import io.reach.shared.SqlLists;
import io.reach.shared.Times;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** Rows of senders, secrets included; nothing outside this package sees a row. */
@Repository
class SenderStore {

    private static final TypeReference<TreeMap<String, String>> SETTINGS = new TypeReference<>() {};
    private static final String COLUMNS = "id, name, channel, provider, phone_number_id, waba_id, display_number,"
            + " access_token, app_secret, verify_token, graph_base_url, graph_version, from_address, settings, secret,"
            + " throughput_per_second, messaging_limit, sandbox, created_at, updated_at";

    /** A row: the sender and all of its secrets. */
    record Row(Sender sender, String accessToken, String appSecret, String verifyToken, String secret) {

        WhatsAppAccount whatsApp() {
            return new WhatsAppAccount(sender, new WhatsAppCredentials(accessToken, appSecret, verifyToken));
        }

        ProviderAccount provider() {
            return new ProviderAccount(sender, secret);
        }
    }

    private static final List<String> SECRET_COLUMNS = List.of("access_token", "app_secret", "verify_token", "secret");

    private final JdbcClient jdbc;
    private final JsonMapper json;
    private final SecretBox box;

    SenderStore(JdbcClient jdbc, JsonMapper json,
                @Value("${reach.secrets-key:}") String secretsKey) {
        this.jdbc = jdbc;
        this.json = json;
        this.box = new SecretBox(secretsKey);
    }

    /** Whether secrets are sealed before they are stored ({@code reach.secrets-key} is set). */
    boolean sealing() {
        return box.hasKey();
    }

    /** The senders that have a secret stored as it is, not sealed (stored before {@code reach.secrets-key} was set). */
    List<UUID> withPlainSecrets() {
        return jdbc.sql("SELECT id FROM senders WHERE " + String.join(" OR ", SECRET_COLUMNS.stream()
                        .map(column -> "(" + column + " IS NOT NULL AND " + column + " NOT LIKE '" + SecretBox.SEALED + "%')")
                        .toList()))
                .query(UUID.class).list();
    }

    /** Stores a sender's secrets again as this store keeps them now (sealed, when there is a key). */
    void storeSecretsAgain(Row row) {
        UUID id = row.sender().id();
        jdbc.sql("UPDATE senders SET access_token = ?, app_secret = ?, verify_token = ?, secret = ? WHERE id = ?")
                .params(sealed(row.accessToken(), id, "access_token"), sealed(row.appSecret(), id, "app_secret"),
                        sealed(row.verifyToken(), id, "verify_token"), sealed(row.secret(), id, "secret"), id)
                .update();
    }

    private String sealed(String plain, UUID id, String column) {
        return box.seal(plain, id + "/" + column);
    }

    private String opened(ResultSet rs, UUID id, String column) throws SQLException {
        return box.open(rs.getString(column), id + "/" + column);
    }

    Optional<Row> find(UUID id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM senders WHERE id = ?").param(id).query(this::row).optional();
    }

    /** The sender, locked until the caller's transaction ends (as a publish that names it locks it). */
    Optional<Row> lock(UUID id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM senders WHERE id = ? FOR UPDATE").param(id).query(this::row).optional();
    }

    /**
     * The senders of these ids and names, locked until the caller's transaction ends, in the order of their ids: two
     * transactions that name the same senders in other orders, or one by its id and the other by its name, take them
     * in one order, and neither holds one while it waits for another the other holds. Those of none are left out.
     */
    List<Row> lockInIdOrder(Collection<UUID> ids, Collection<String> names) {
        List<String> conditions = new ArrayList<>();
        List<Object> params = new ArrayList<>();
        if (!ids.isEmpty()) {
            conditions.add("id IN (" + SqlLists.placeholders(ids.size()) + ")");
            params.addAll(ids);
        }
        if (!names.isEmpty()) {
            conditions.add("name IN (" + SqlLists.placeholders(names.size()) + ")");
            params.addAll(names);
        }
        if (conditions.isEmpty()) {
            return List.of();
        }
        // Sorted before they are locked, on both databases: the locks are taken in the rows' order.
        return jdbc.sql("SELECT " + COLUMNS + " FROM senders WHERE " + String.join(" OR ", conditions) + " ORDER BY id FOR UPDATE")
                .params(params).query(this::row).list();
    }

    void delete(UUID id) {
        jdbc.sql("DELETE FROM senders WHERE id = ?").param(id).update();
    }

    Optional<Row> findByName(String name) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM senders WHERE name = ?").param(name).query(this::row).optional();
    }

    Optional<Row> findByPhoneNumberId(String phoneNumberId) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM senders WHERE phone_number_id = ?").param(phoneNumberId)
                .query(this::row).optional();
    }

    List<Row> all() {
        return jdbc.sql("SELECT " + COLUMNS + " FROM senders ORDER BY created_at, id").query(this::row).list();
    }

    void insert(Row row) {
        Sender s = row.sender();
        jdbc.sql("INSERT INTO senders (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .params(s.id(), s.name(), s.channel(), s.provider().toUpperCase(), s.phoneNumberId(), s.wabaId(),
                        s.displayNumber(), sealed(row.accessToken(), s.id(), "access_token"),
                        sealed(row.appSecret(), s.id(), "app_secret"), sealed(row.verifyToken(), s.id(), "verify_token"),
                        s.graphApiBaseUrl(), s.graphApiVersion(), s.fromAddress(), settings(s),
                        sealed(row.secret(), s.id(), "secret"), s.throughputPerSecond(), s.messagingLimit(),
                        s.sandbox(), Times.utc(s.createdAt()), Times.utc(s.updatedAt()))
                .update();
    }

    void update(Row row) {
        Sender s = row.sender();
        jdbc.sql("UPDATE senders SET name = ?, phone_number_id = ?, waba_id = ?, display_number = ?, access_token = ?,"
                        + " app_secret = ?, verify_token = ?, graph_base_url = ?, graph_version = ?, from_address = ?,"
                        + " settings = ?, secret = ?, throughput_per_second = ?, messaging_limit = ?, updated_at = ?"
                        + " WHERE id = ?")
                .params(s.name(), s.phoneNumberId(), s.wabaId(), s.displayNumber(),
                        sealed(row.accessToken(), s.id(), "access_token"), sealed(row.appSecret(), s.id(), "app_secret"),
                        sealed(row.verifyToken(), s.id(), "verify_token"), s.graphApiBaseUrl(), s.graphApiVersion(),
                        s.fromAddress(), settings(s), sealed(row.secret(), s.id(), "secret"), s.throughputPerSecond(),
                        s.messagingLimit(), Times.utc(s.updatedAt()), s.id())
                .update();
    }

    private String settings(Sender sender) {
        return sender.settings() == null || sender.settings().isEmpty() ? null : json.writeValueAsString(sender.settings());
    }

    private Row row(ResultSet rs, int rowNum) throws SQLException {
        String channel = rs.getString("channel");
        boolean whatsApp = Sender.WHATSAPP.equals(channel);
        UUID id = rs.getObject("id", UUID.class);
        String accessToken = opened(rs, id, "access_token");
        String appSecret = opened(rs, id, "app_secret");
        String verifyToken = opened(rs, id, "verify_token");
        String secret = opened(rs, id, "secret");
        String settingsJson = rs.getString("settings");
        Map<String, String> settings = settingsJson == null ? null : json.readValue(settingsJson, SETTINGS);
        Sender sender = new Sender(id, rs.getString("name"), channel,
                rs.getString("provider").toLowerCase(), rs.getString("phone_number_id"), rs.getString("waba_id"),
                rs.getString("display_number"), rs.getString("graph_base_url"), rs.getString("graph_version"),
                rs.getString("from_address"), settings, rs.getInt("throughput_per_second"),
                rs.getObject("messaging_limit", Integer.class), rs.getBoolean("sandbox"),
                whatsApp ? isSet(accessToken) : null, whatsApp ? isSet(appSecret) : null,
                whatsApp ? isSet(verifyToken) : null, whatsApp ? null : isSet(secret),
                Times.instant(rs, "created_at"), Times.instant(rs, "updated_at"));
        return new Row(sender, accessToken, appSecret, verifyToken, secret);
    }

    private static boolean isSet(String value) {
        return value != null && !value.isEmpty();
    }
}

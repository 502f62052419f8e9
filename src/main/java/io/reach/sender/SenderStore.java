package io.reach.sender;

import io.reach.shared.Times;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Rows of senders, secrets included; nothing outside this package sees a row. */
@Repository
class SenderStore {

    private static final String COLUMNS = "id, name, channel, phone_number_id, waba_id, display_number, access_token,"
            + " app_secret, verify_token, graph_base_url, graph_version, throughput_per_second, sandbox, created_at, updated_at";

    private final JdbcClient jdbc;

    SenderStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    Optional<WhatsAppAccount> find(UUID id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM senders WHERE id = ?").param(id).query(this::row).optional();
    }

    Optional<WhatsAppAccount> findByName(String name) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM senders WHERE name = ?").param(name).query(this::row).optional();
    }

    Optional<WhatsAppAccount> findByPhoneNumberId(String phoneNumberId) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM senders WHERE phone_number_id = ?").param(phoneNumberId)
                .query(this::row).optional();
    }

    List<WhatsAppAccount> all() {
        return jdbc.sql("SELECT " + COLUMNS + " FROM senders ORDER BY created_at, id").query(this::row).list();
    }

    void insert(WhatsAppAccount account) {
        Sender s = account.sender();
        WhatsAppCredentials c = account.credentials();
        jdbc.sql("INSERT INTO senders (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .params(s.id(), s.name(), s.channel(), s.phoneNumberId(), s.wabaId(), s.displayNumber(),
                        c.accessToken(), c.appSecret(), c.verifyToken(), s.graphApiBaseUrl(), s.graphApiVersion(),
                        s.throughputPerSecond(), s.sandbox(), Times.utc(s.createdAt()), Times.utc(s.updatedAt()))
                .update();
    }

    void update(WhatsAppAccount account) {
        Sender s = account.sender();
        WhatsAppCredentials c = account.credentials();
        jdbc.sql("UPDATE senders SET name = ?, phone_number_id = ?, waba_id = ?, display_number = ?, access_token = ?,"
                        + " app_secret = ?, verify_token = ?, graph_base_url = ?, graph_version = ?, throughput_per_second = ?,"
                        + " updated_at = ? WHERE id = ?")
                .params(s.name(), s.phoneNumberId(), s.wabaId(), s.displayNumber(), c.accessToken(), c.appSecret(),
                        c.verifyToken(), s.graphApiBaseUrl(), s.graphApiVersion(), s.throughputPerSecond(),
                        Times.utc(s.updatedAt()), s.id())
                .update();
    }

    private WhatsAppAccount row(ResultSet rs, int rowNum) throws SQLException {
        WhatsAppCredentials credentials = new WhatsAppCredentials(rs.getString("access_token"),
                rs.getString("app_secret"), rs.getString("verify_token"));
        Sender sender = new Sender(rs.getObject("id", UUID.class), rs.getString("name"), rs.getString("channel"),
                rs.getString("phone_number_id"), rs.getString("waba_id"), rs.getString("display_number"),
                rs.getString("graph_base_url"), rs.getString("graph_version"), rs.getInt("throughput_per_second"),
                rs.getBoolean("sandbox"), !credentials.accessToken().isEmpty(), !credentials.appSecret().isEmpty(),
                !credentials.verifyToken().isEmpty(), Times.instant(rs, "created_at"), Times.instant(rs, "updated_at"));
        return new WhatsAppAccount(sender, credentials);
    }
}

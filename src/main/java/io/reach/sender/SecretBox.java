package io.reach.sender;

import io.reach.shared.CannotStart;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals senders' secrets for the database with AES-256-GCM under {@code reach.secrets-key}, each bound to its sender
 * and column (a sealed value copied to another row or column does not open), and opens them again. Without a key it
 * seals nothing, and a plain value (stored before a key was set) opens as it is.
 */
final class SecretBox {

    /** What a sealed value starts with: the format's version, so that a later one can be told apart. */
    static final String SEALED = "sealed:v1:";
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;

    /** {@code base64Key}: 32 bytes in base64 ({@code openssl rand -base64 32}); blank or null for none. */
    SecretBox(String base64Key) {
        if (base64Key == null || base64Key.isBlank()) {
            this.key = null;
            return;
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(base64Key.trim());
        } catch (IllegalArgumentException e) {
            bytes = new byte[0];
        }
        if (bytes.length != 32) {
            // Not Spring Boot's report of a bad setting, which shows the value: a key one character off is nearly a secret.
            throw new CannotStart("reach.secrets-key is not usable: it must be 32 bytes in base64, such as"
                    + " `openssl rand -base64 32` writes; it is not (its value is not shown).", "Set reach.secrets-key"
                    + " (environment: REACH_SECRETSKEY) to such a key, or leave it unset to store the senders' secrets plain.",
                    null);
        }
        this.key = new SecretKeySpec(bytes, "AES");
    }

    boolean hasKey() {
        return key != null;
    }

    static boolean isSealed(String stored) {
        return stored != null && stored.startsWith(SEALED);
    }

    /** The value as the database keeps it: sealed when there is a key, as it is otherwise (and a null stays null). */
    String seal(String plain, String boundTo) {
        if (plain == null || key == null) {
            return plain;
        }
        try {
            byte[] nonce = new byte[NONCE_BYTES];
            RANDOM.nextBytes(nonce);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(boundTo.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = cipher.doFinal(plain.getBytes(StandardCharsets.UTF_8));
            byte[] all = new byte[nonce.length + sealed.length];
            System.arraycopy(nonce, 0, all, 0, nonce.length);
            System.arraycopy(sealed, 0, all, nonce.length, sealed.length);
            return SEALED + Base64.getEncoder().encodeToString(all);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("could not seal a secret", e);
        }
    }

    /** The plain value of what the database keeps; throws {@link CannotOpen} for a sealed one this key does not open. */
    String open(String stored, String boundTo) {
        if (!isSealed(stored)) {
            return stored;
        }
        if (key == null) {
            throw new CannotOpen("senders' secrets are sealed: set reach.secrets-key to the key they were sealed with");
        }
        try {
            byte[] all = Base64.getDecoder().decode(stored.substring(SEALED.length()));
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, all, 0, NONCE_BYTES));
            cipher.updateAAD(boundTo.getBytes(StandardCharsets.UTF_8));
            return new String(cipher.doFinal(all, NONCE_BYTES, all.length - NONCE_BYTES), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new CannotOpen("a sender's secret does not open with reach.secrets-key: it was sealed with another key,"
                    + " or changed in the database");
        }
    }

    /** A sealed secret that this box cannot open (no key, another key, or a value changed in the database). */
    static final class CannotOpen extends IllegalStateException {
        CannotOpen(String message) {
            super(message);
        }
    }
}

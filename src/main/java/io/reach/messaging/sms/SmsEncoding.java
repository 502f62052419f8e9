package io.reach.messaging.sms;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Encodes a text for SMS: GSM 03.38 (7-bit default alphabet, one octet per septet as SMPP carries it) when every
 * character is in it, else UCS-2. A text that does not fit one SMS is split into concatenated parts with a UDH:
 * 160/153 septets for GSM, 70/67 UTF-16 units for UCS-2, never cutting an escape sequence or a surrogate pair.
 */
public final class SmsEncoding {

    /** SMPP data_coding of the SMSC default alphabet (GSM 03.38) and of UCS-2. */
    public static final byte DATA_CODING_GSM = 0x00;
    public static final byte DATA_CODING_UCS2 = 0x08;

    private static final String BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001BÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
            + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    private static final String EXTENSION_CHARS = "\f^{}\\[~]|€";
    private static final byte[] EXTENSION_CODES = {0x0A, 0x14, 0x28, 0x29, 0x2F, 0x3C, 0x3D, 0x3E, 0x40, 0x65};
    private static final byte ESCAPE = 0x1B;

    /** The alphabet a text is sent in. */
    public enum Alphabet { GSM7, UCS2 }

    /** One SMS: its bytes (with the UDH first when {@code total > 1}), its number from 1 and the number of parts. */
    public record Part(int number, int total, byte[] payload) {
        public boolean hasUdh() {
            return total > 1;
        }
    }

    /** A text ready to submit: its alphabet, data_coding and parts. */
    public record Encoded(Alphabet alphabet, byte dataCoding, List<Part> parts) {}

    private SmsEncoding() {}

    public static Alphabet alphabetOf(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ESCAPE || BASIC.indexOf(c) < 0 && EXTENSION_CHARS.indexOf(c) < 0) {
                return Alphabet.UCS2;
            }
        }
        return Alphabet.GSM7;
    }

    /** @param reference the concatenation reference (0–255) shared by the parts of one message */
    public static Encoded encode(String text, int reference) {
        Alphabet alphabet = alphabetOf(text);
        List<byte[]> chunks = alphabet == Alphabet.GSM7 ? gsmChunks(text) : ucs2Chunks(text);
        List<Part> parts = new ArrayList<>();
        for (int i = 0; i < chunks.size(); i++) {
            byte[] chunk = chunks.get(i);
            if (chunks.size() == 1) {
                parts.add(new Part(1, 1, chunk));
            } else {
                byte[] payload = new byte[6 + chunk.length];
                payload[0] = 0x05;
                payload[1] = 0x00;
                payload[2] = 0x03;
                payload[3] = (byte) reference;
                payload[4] = (byte) chunks.size();
                payload[5] = (byte) (i + 1);
                System.arraycopy(chunk, 0, payload, 6, chunk.length);
                parts.add(new Part(i + 1, chunks.size(), payload));
            }
        }
        return new Encoded(alphabet, alphabet == Alphabet.GSM7 ? DATA_CODING_GSM : DATA_CODING_UCS2, parts);
    }

    /** Decodes a part's text (without its UDH) back, as the receiving side would. */
    public static String decode(byte[] payload, byte dataCoding, boolean udh) {
        int start = udh ? (payload[0] & 0xFF) + 1 : 0;
        if (dataCoding == DATA_CODING_UCS2) {
            return new String(payload, start, payload.length - start, StandardCharsets.UTF_16BE);
        }
        StringBuilder text = new StringBuilder();
        for (int i = start; i < payload.length; i++) {
            int septet = payload[i] & 0x7F;
            if (septet == ESCAPE && i + 1 < payload.length) {
                int code = payload[++i] & 0x7F;
                for (int e = 0; e < EXTENSION_CODES.length; e++) {
                    if (EXTENSION_CODES[e] == code) {
                        text.append(EXTENSION_CHARS.charAt(e));
                    }
                }
            } else {
                text.append(BASIC.charAt(septet));
            }
        }
        return text.toString();
    }

    private static List<byte[]> gsmChunks(String text) {
        List<byte[]> septets = new ArrayList<>();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int basic = BASIC.indexOf(c);
            septets.add(basic >= 0 ? new byte[] {(byte) basic}
                    : new byte[] {ESCAPE, EXTENSION_CODES[EXTENSION_CHARS.indexOf(c)]});
        }
        int total = septets.stream().mapToInt(s -> s.length).sum();
        return split(septets, total <= 160 ? 160 : 153);
    }

    private static List<byte[]> ucs2Chunks(String text) {
        List<byte[]> units = new ArrayList<>();
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            int length = Character.charCount(codePoint);
            units.add(text.substring(i, i + length).getBytes(StandardCharsets.UTF_16BE));
            i += length;
        }
        // Limits count octets: 140 for one SMS (70 units), 134 per part (67 units).
        int total = units.stream().mapToInt(u -> u.length).sum();
        return split(units, total <= 140 ? 140 : 134);
    }

    /** Packs indivisible pieces into chunks of at most {@code limit} bytes. */
    private static List<byte[]> split(List<byte[]> pieces, int limit) {
        List<byte[]> chunks = new ArrayList<>();
        ByteArrayOutputStream chunk = new ByteArrayOutputStream();
        for (byte[] piece : pieces) {
            if (chunk.size() + piece.length > limit) {
                chunks.add(chunk.toByteArray());
                chunk.reset();
            }
            chunk.writeBytes(piece);
        }
        if (chunk.size() > 0 || chunks.isEmpty()) {
            chunks.add(chunk.toByteArray());
        }
        return chunks;
    }
}

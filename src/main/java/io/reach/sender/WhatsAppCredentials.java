package io.reach.sender;

/** A sender's secrets. Its text form hides them, so that a log line can never carry one. */
public record WhatsAppCredentials(String accessToken, String appSecret, String verifyToken) {

    @Override
    public String toString() {
        return "WhatsAppCredentials[secrets hidden]";
    }
}

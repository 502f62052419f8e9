package io.reach.sender;

/** A sender together with its secrets, for the code that calls Meta or checks Meta's signatures. */
public record WhatsAppAccount(Sender sender, WhatsAppCredentials credentials) {

    /** The URL of the Cloud API's send endpoint for this number. */
    public String messagesUrl() {
        String base = sender.graphApiBaseUrl().endsWith("/")
                ? sender.graphApiBaseUrl().substring(0, sender.graphApiBaseUrl().length() - 1)
                : sender.graphApiBaseUrl();
        return base + "/" + sender.graphApiVersion() + "/" + sender.phoneNumberId() + "/messages";
    }
}

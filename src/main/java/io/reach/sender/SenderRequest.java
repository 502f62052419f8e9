package io.reach.sender;

/** What a caller sends to register or change a WhatsApp sender; on a change a null field is left as it is. */
public record SenderRequest(
        String name,
        String phoneNumberId,
        String wabaId,
        String displayNumber,
        String accessToken,
        String appSecret,
        String verifyToken,
        String graphApiBaseUrl,
        String graphApiVersion,
        Integer throughputPerSecond) {

    @Override
    public String toString() {
        return "SenderRequest[name=" + name + ", phoneNumberId=" + phoneNumberId + ", secrets hidden]";
    }
}

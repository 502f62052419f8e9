package io.reach.messaging.whatsapp;

import io.reach.sender.Senders;
import io.reach.sender.WhatsAppAccount;
import io.reach.shared.ApiException;
import java.util.List;
import org.springframework.http.HttpStatus;

/** The WhatsApp sender a request names, or the API's 404 that says what the name is instead. */
final class WhatsAppSenderLookup {

    private WhatsAppSenderLookup() {}

    static WhatsAppAccount resolve(Senders senders, String idOrName) {
        return senders.resolve(idOrName).orElseThrow(() -> new ApiException(HttpStatus.NOT_FOUND, "sender_not_found",
                "no WhatsApp sender is named or has the id '" + idOrName + "'" + senders.channelOfSender(idOrName)
                        .map(c -> " (it is " + ("sms".equals(c) ? "an " : "a ") + c + " sender)").orElse(""), List.of()));
    }
}

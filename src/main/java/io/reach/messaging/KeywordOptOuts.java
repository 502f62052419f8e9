package io.reach.messaging;

import io.reach.contact.ContactSettings;
import io.reach.contact.Contacts;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Opts a contact out when it types STOP (or another opt-out keyword) on any channel, and back in on START, in the
 * transaction that stores its message: messages queued for it are withdrawn in that transaction too
 * ({@link ConsentWithdrawals}), so nothing more goes out to a contact who said stop, but for the answer that
 * {@code reach.contacts.opt-out-reply} (or {@code opt-in-reply}) may give it in the conversation it wrote in. A
 * message its provider read as an opt-out or opt-in (Twilio's Advanced Opt-Out, whose keywords a business sets for its
 * number) is taken as the provider read it, whatever Reach's own keywords, and not answered: the provider did.
 */
@Component
class KeywordOptOuts {

    private static final Logger log = LoggerFactory.getLogger(KeywordOptOuts.class);

    private final Contacts contacts;
    private final ContactSettings settings;
    private final Map<Channel, KeywordReplies> replies = new EnumMap<>(Channel.class);

    KeywordOptOuts(Contacts contacts, ContactSettings settings, List<KeywordReplies> replies) {
        this.contacts = contacts;
        this.settings = settings;
        replies.forEach(channel -> this.replies.put(channel.channel(), channel));
    }

    @EventListener
    void onInbound(InboundMessageReceived received) {
        InboundMessage message = received.message();
        // Only what the contact typed: a button's payload is the business's word, not the contact's.
        if (message.contactId() == null || !"text".equals(message.type())) {
            return;
        }
        InboundMessageReceived.Keyword read = received.providerKeyword();
        if (read != null) {
            // The provider's word goes first (a keyword of the number's own, in another language), and its
            // Advanced Opt-Out has answered the contact already: Reach's reply would be a second one.
            contacts.optOut(message.contactId(), read == InboundMessageReceived.Keyword.OPT_OUT).ifPresent(contact ->
                    log.info("Contact {} opted {} by its message on {}, read as {} by the provider", contact.id(),
                            contact.optedOut() ? "out" : "back in", message.channel().wireName(),
                            contact.optedOut() ? "an opt-out" : "an opt-in"));
            return;
        }
        contacts.applyKeyword(message.contactId(), message.text()).ifPresent(contact -> {
            log.info("Contact {} opted {} by its message on {}", contact.id(), contact.optedOut() ? "out" : "back in",
                    message.channel().wireName());
            KeywordReplies channel = replies.get(message.channel());
            settings.replyTo(contact.optedOut()).filter(text -> channel != null && message.senderId() != null)
                    .ifPresent(text -> channel.confirmKeyword(message.senderId(), contact, text, "keyword-reply:" + message.id()));
        });
    }
}

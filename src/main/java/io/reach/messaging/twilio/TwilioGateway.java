package io.reach.messaging.twilio;

import com.twilio.exception.ApiConnectionException;
import com.twilio.exception.ApiException;
import com.twilio.exception.TwilioException;
import com.twilio.http.HttpMethod;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.account.Call;
import com.twilio.rest.api.v2010.account.Message;
import com.twilio.twiml.voice.Say;
import com.twilio.type.PhoneNumber;
import com.twilio.type.Twiml;
import io.reach.messaging.MessageError;
import io.reach.messaging.MessagingSettings;
import io.reach.sender.ProviderAccount;
import io.reach.sender.Sender;
import io.reach.sender.Senders;
import io.reach.shared.BoundedBody;
import io.reach.shared.PublicUrl;
import java.io.IOException;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;
import org.springframework.stereotype.Component;

/**
 * Twilio's REST API through the official SDK: SMS through the Messages resource, calls through the Calls resource
 * with TwiML {@code <Say>}, both with Reach's status-callback URL. The API base URL is a sender setting. Requests go
 * through {@link BoundedTwilioHttpClient}, each answered whole within {@code reach.messaging.request-timeout} or
 * retried.
 */
@Component
public class TwilioGateway {

    /** The callbacks' path on Reach. */
    public static final String STATUS_CALLBACK_PATH = "/webhooks/twilio/status";

    private final PublicUrl publicUrl;
    private final Duration requestTimeout;
    private final HttpClient http;
    private final Map<String, TwilioRestClient> clients = new ConcurrentHashMap<>();

    TwilioGateway(PublicUrl publicUrl, MessagingSettings settings) {
        this.publicUrl = publicUrl;
        this.requestTimeout = settings.requestTimeout();
        this.http = BoundedBody.http1Client(requestTimeout);
    }

    /** What Twilio answered: the SID of the new resource, or why not. */
    public sealed interface Outcome {
        record Accepted(String sid) implements Outcome {}

        record Rejected(MessageError error) implements Outcome {

            /** Whether the refusal is about the account or its number (its credentials, its 'From'), not this message. */
            public boolean concernsTheAccount() {
                return TwilioErrors.concernsTheAccount(error.code());
            }
        }

        /** Twilio answered 429 (too many requests): tried again, and meanwhile the message still waits its turn. */
        record SlowDown(MessageError error) implements Outcome {}

        /**
         * A passing failure: worth another try. {@code answerLost} when the request went out and no answer came back
         * (a timeout, a connection lost mid-exchange): Twilio may have taken it.
         */
        record Retry(MessageError error, boolean answerLost) implements Outcome {

            /** Twilio answered, and the answer says to try again. */
            Retry(MessageError error) {
                this(error, false);
            }
        }
    }

    /**
     * The status-callback URL names Reach's message, so that a callback that outruns Twilio's answer to the create
     * call is matched all the same.
     */
    private URI statusCallback(UUID messageId) {
        return URI.create(publicUrl.of(STATUS_CALLBACK_PATH + "/" + messageId));
    }

    public Outcome sendSms(ProviderAccount account, UUID messageId, String to, String text) {
        return call(() -> Message.creator(new PhoneNumber(to), new PhoneNumber(account.sender().fromAddress()), text)
                .setStatusCallback(statusCallback(messageId))
                .create(client(account)).getSid());
    }

    public Outcome placeCall(ProviderAccount account, UUID messageId, String to, String twiml) {
        return call(() -> Call.creator(new PhoneNumber(to), new PhoneNumber(account.sender().fromAddress()), new Twiml(twiml))
                .setStatusCallback(statusCallback(messageId))
                .setStatusCallbackMethod(HttpMethod.POST)
                .setStatusCallbackEvent(List.of("initiated", "ringing", "answered", "completed"))
                .create(client(account)).getSid());
    }

    /** What Twilio says of a call or an SMS now: its status, in Twilio's words, and its error code when it failed. */
    public record Fetched(String status, Integer errorCode) {}

    /** The call's status now, as Twilio's GET of it gives it; empty when Twilio could not be asked or did not know it. */
    public Optional<Fetched> fetchCall(ProviderAccount account, String sid) {
        return fetch(() -> {
            Call call = Call.fetcher(sid).fetch(client(account));
            return new Fetched(call.getStatus() == null ? null : call.getStatus().toString(), null);
        });
    }

    /** The SMS's status now, as Twilio's GET of it gives it; empty when Twilio could not be asked or did not know it. */
    public Optional<Fetched> fetchSms(ProviderAccount account, String sid) {
        return fetch(() -> {
            Message message = Message.fetcher(sid).fetch(client(account));
            return new Fetched(message.getStatus() == null ? null : message.getStatus().toString(), message.getErrorCode());
        });
    }

    private static Optional<Fetched> fetch(Supplier<Fetched> request) {
        try {
            return Optional.of(request.get());
        } catch (TwilioException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * The TwiML that speaks a text: {@code <Response><Say language=… voice=…>text</Say></Response>}, with the SDK's
     * names for languages and voices. Written with the JDK's StAX writer rather than the SDK's TwiML builder, which
     * looks up XML factories on the class path on every call (a few per cent of the engine's CPU per call step).
     */
    public static String say(String text, String language, String voice) {
        StringWriter out = new StringWriter();
        try {
            XMLStreamWriter xml = XMLOutputFactory.newDefaultFactory().createXMLStreamWriter(out);
            xml.writeStartDocument("UTF-8", "1.0");
            xml.writeStartElement("Response");
            xml.writeStartElement("Say");
            Optional<Say.Language> sayLanguage = language(language);
            if (sayLanguage.isPresent()) {
                xml.writeAttribute("language", sayLanguage.get().toString());
            }
            Optional<Say.Voice> sayVoice = voice(voice);
            if (sayVoice.isPresent()) {
                xml.writeAttribute("voice", sayVoice.get().toString());
            }
            xml.writeCharacters(text == null ? "" : text);
            xml.writeEndElement();
            xml.writeEndElement();
            xml.writeEndDocument();
            xml.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException("Cannot write TwiML", e);
        }
        return out.toString();
    }

    /** A {@code <Say>} language Twilio knows (e.g. en-US, nl-NL). */
    public static Optional<Say.Language> language(String code) {
        return code == null ? Optional.empty() : Arrays.stream(Say.Language.values())
                .filter(l -> l.toString().equalsIgnoreCase(code.trim())).findFirst();
    }

    /** A {@code <Say>} voice Twilio knows (e.g. woman, man, Polly.Joanna). */
    public static Optional<Say.Voice> voice(String name) {
        return name == null ? Optional.empty() : Arrays.stream(Say.Voice.values())
                .filter(v -> v.toString().equalsIgnoreCase(name.trim())).findFirst();
    }

    private Outcome call(Supplier<String> request) {
        try {
            return new Outcome.Accepted(request.get());
        } catch (ApiConnectionException e) {
            boolean answerLost = answerLost(e);
            return new Outcome.Retry(new MessageError(0, answerLost ? "No answer from Twilio; retrying" : "Could not reach Twilio; retrying",
                    e.getMessage()), answerLost);
        } catch (ApiException e) {
            int status = e.getStatusCode() == null ? 0 : e.getStatusCode();
            int code = e.getCode() == null ? status : e.getCode();
            MessageError error = new MessageError(code, TwilioErrors.describe(code, e.getMessage()), e.getMessage());
            if (status == 429) {
                return new Outcome.SlowDown(error);
            }
            return status >= 500 ? new Outcome.Retry(error) : new Outcome.Rejected(error);
        } catch (TwilioException e) {
            return new Outcome.Retry(new MessageError(0, "Twilio call failed; retrying", e.getMessage()));
        }
    }

    /**
     * Whether the failed exchange sent the request and lost the answer: not when no connection was made (nothing went
     * out), nor when the request could not be built.
     */
    private static boolean answerLost(ApiConnectionException e) {
        Throwable cause = e.getCause();
        return cause instanceof InterruptedException || cause instanceof IOException
                && !(cause instanceof ConnectException) && !(cause instanceof HttpConnectTimeoutException);
    }

    private TwilioRestClient client(ProviderAccount account) {
        Sender sender = account.sender();
        String accountSid = sender.setting("accountSid", null);
        String baseUrl = sender.setting("baseUrl", Senders.DEFAULT_TWILIO_BASE_URL);
        // Keyed by the secret's hash too, so that a rotated token gets a new client.
        String key = sender.id() + "|" + baseUrl + "|" + account.secret().hashCode();
        return clients.computeIfAbsent(key, k -> {
            String movedTo = Senders.DEFAULT_TWILIO_BASE_URL.equals(baseUrl) ? null : baseUrl;
            return new TwilioRestClient.Builder(accountSid, account.secret())
                    .httpClient(new BoundedTwilioHttpClient(http, movedTo, requestTimeout))
                    .build();
        });
    }
}

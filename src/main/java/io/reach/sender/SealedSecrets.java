package io.reach.sender;

import io.reach.shared.CannotStart;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.stereotype.Component;

/**
 * At start, before anything sends: checks that every sender's secret opens (a sealed one needs the key it was sealed
 * with, and Reach refuses to start without it rather than fail each send), and, once {@code reach.secrets-key} is
 * set, seals the secrets stored before it was.
 */
@Component
class SealedSecrets implements SmartInitializingSingleton {

    private static final Logger log = LoggerFactory.getLogger(SealedSecrets.class);

    private final SenderStore store;

    SealedSecrets(SenderStore store) {
        this.store = store;
    }

    @Override
    public void afterSingletonsInstantiated() {
        int sealed = sealPlainSecrets();
        if (sealed > 0) {
            log.info("Sealed the secrets of {} sender(s) with reach.secrets-key", sealed);
        }
    }

    /** Seals what is stored plain (when there is a key); returns how many senders' secrets it sealed. */
    int sealPlainSecrets() {
        List<SenderStore.Row> rows;
        try {
            rows = store.all();
        } catch (SecretBox.CannotOpen e) {
            throw new CannotStart("Reach cannot start: " + e.getMessage(), "Set reach.secrets-key"
                    + " (environment: REACH_SECRETSKEY) to the key the senders' secrets were sealed with.", e);
        }
        if (!store.sealing()) {
            return 0;
        }
        List<UUID> plain = store.withPlainSecrets();
        rows.stream().filter(row -> plain.contains(row.sender().id())).forEach(store::storeSecretsAgain);
        return plain.size();
    }
}

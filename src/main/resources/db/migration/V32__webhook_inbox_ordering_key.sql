-- What a stored callback is about (its message, as its processor reads it; InboxProcessor.orderingKey), kept while it
-- waits to be applied, so that a later callback about the same message does not pass it when it fails and waits for
-- its retry (WebhookInbox.claim). NULL once applied, and for callbacks applied as they came (nothing waits behind them).
ALTER TABLE webhook_inbox ADD COLUMN ordering_key VARCHAR(200);

-- What kind of passing failure the error of a queued message is (Messages.PassingFailure): REFUSED (the provider
-- refused it this time: a 5xx, a short outage, an error worth another try), SLOW_DOWN (the provider asked Reach to send
-- more slowly: Meta's throughput or rate limits, an SMSC's throttling, Twilio's 429) or ANSWER_LOST (the request went
-- out and its answer never came: the provider may have taken it). Only a refusal (or NULL: an error recorded before
-- this column, or Reach holding the message back) keeps a journey's timeout from waiting for the message while its
-- sender's queue moves (Messages.progress).
ALTER TABLE messages ADD COLUMN passing_failure VARCHAR(16);

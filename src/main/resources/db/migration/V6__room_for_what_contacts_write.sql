-- Room for what contacts and flow authors put into journeys, so that a long reply or a long value can never make a
-- journey's step or a webhook fail for good. A reply's text (up to 4,096 characters on WhatsApp) is kept whole in the
-- decision it makes and in the report rows that quote it; a reply branch is a button payload (up to 1,000, as
-- inbound_messages.reply_payload); a report row names its sender (up to 100, as senders.name); a flow's messages
-- carry its name as their campaign (up to 200, as a flow's name). Step outcomes and journey errors are descriptions:
-- Reach clips them to their 2,000 characters.
ALTER TABLE journeys ALTER COLUMN decision SET DATA TYPE VARCHAR(1000);
ALTER TABLE journeys ALTER COLUMN decision_detail SET DATA TYPE VARCHAR;
ALTER TABLE journeys ALTER COLUMN waiting_for SET DATA TYPE VARCHAR;
ALTER TABLE journey_steps ALTER COLUMN branch SET DATA TYPE VARCHAR(1000);
ALTER TABLE report_rows ALTER COLUMN status SET DATA TYPE VARCHAR;
ALTER TABLE report_rows ALTER COLUMN description SET DATA TYPE VARCHAR;
ALTER TABLE report_rows ALTER COLUMN message_from SET DATA TYPE VARCHAR(200);
ALTER TABLE messages ALTER COLUMN campaign_id SET DATA TYPE VARCHAR(200);

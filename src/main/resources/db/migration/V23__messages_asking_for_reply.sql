-- Whether a flow waits for a reply to the message (a wait_for_reply names the step that sent it). A text typed
-- without quoting answers only the newest such message sent before it in its conversation, not every earlier one
-- (InboundMessages.answers), nor a message that asks nothing (a notification sent since). A constant default: on
-- PostgreSQL the column is added without rewriting the table; messages sent before it count as asking nothing.
ALTER TABLE messages ADD COLUMN asks_for_reply BOOLEAN DEFAULT FALSE NOT NULL;

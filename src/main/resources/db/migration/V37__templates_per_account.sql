-- A template belongs to a WhatsApp Business Account, as at Meta: two accounts may each have one of the same name and
-- language with other texts. waba_id is the account's id; '' (a template registered without one, and every template
-- kept before this version) serves the senders of any account that has none of its own, until a sync of an account
-- takes it as that account's.
ALTER TABLE templates ADD COLUMN waba_id VARCHAR(64) DEFAULT '' NOT NULL;
ALTER TABLE templates DROP CONSTRAINT templates_name_language_unique;
ALTER TABLE templates ADD CONSTRAINT templates_name_language_account_unique UNIQUE (name, language, waba_id);

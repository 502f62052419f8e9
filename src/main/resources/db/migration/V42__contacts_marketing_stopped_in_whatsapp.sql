-- When a contact's marketing consent was withdrawn because the contact stopped the business's marketing messages in
-- WhatsApp (Meta's user_preferences webhook, or its error 131050): only such a withdrawal is undone when the contact
-- resumes them there. A consent the business withdrew itself, or never had, is not given by a tap in WhatsApp. Any
-- change of the marketing consent by the business clears it.
ALTER TABLE contacts ADD COLUMN marketing_stopped_in_whatsapp_at TIMESTAMP WITH TIME ZONE;

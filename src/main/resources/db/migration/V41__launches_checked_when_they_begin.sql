-- A scheduled launch checks the templates of the version it begins on when its time comes, unless it was scheduled
-- despite unapproved ones: one that finds a template Meta has not approved takes nobody, and keeps why (reason).
ALTER TABLE launches ADD COLUMN despite_unapproved_templates BOOLEAN DEFAULT FALSE NOT NULL;
ALTER TABLE launches ADD COLUMN reason VARCHAR(2000);

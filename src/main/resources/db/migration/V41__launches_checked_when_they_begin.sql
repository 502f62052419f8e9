-- A scheduled launch checks the templates of the version it begins on when its time comes, unless it was scheduled
-- despite unapproved ones, and whether it is later than it may begin (not_after, when its nodes were down): one that
-- does not begin takes nobody, and keeps why (reason).
ALTER TABLE launches ADD COLUMN despite_unapproved_templates BOOLEAN DEFAULT FALSE NOT NULL;
ALTER TABLE launches ADD COLUMN reason VARCHAR(2000);
ALTER TABLE launches ADD COLUMN not_after TIMESTAMP WITH TIME ZONE;

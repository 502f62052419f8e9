-- What a migration of a later version of Reach does (UpgradeIT): a column and a table added, as Reach's migrations do.
ALTER TABLE contacts ADD COLUMN next_version_note VARCHAR(100);
CREATE TABLE next_version_things (id INT PRIMARY KEY);

-- Where a leftover's properties derive from a NoEcho parameter (a JSON
-- list of JSON pointers into them; "" is all of them), so what its
-- cleanup reports never shows such a value. Leftovers recorded before
-- this column existed are masked whole.
ALTER TABLE stack_leftovers ADD COLUMN secret_paths TEXT NOT NULL DEFAULT '[""]';

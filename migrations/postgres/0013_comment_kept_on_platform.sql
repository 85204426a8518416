-- Issue 14, comments: a comment deleted in Elder that the platform cannot delete (OpenProject
-- has no API for it) stays there. The pair remembers when the platform refused, so the
-- deletion is noted once and not tried again at every sync, and the platform's comment is
-- not imported into Elder again (ms since the epoch; NULL for every other pair).
ALTER TABLE comment_mappings ADD COLUMN kept_on_platform_at BIGINT;

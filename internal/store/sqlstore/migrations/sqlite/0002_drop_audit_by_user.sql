-- Every verification appends an audit row, and an index keyed by user name
-- put each one at a random place in a second B-tree: at a million users that
-- cost a page read and a page write per login, and measured 40% of the
-- group commit's time. The trail is read by time (audit_by_time); a query for
-- one user walks it newest first and stops at its limit.
DROP INDEX audit_by_user;

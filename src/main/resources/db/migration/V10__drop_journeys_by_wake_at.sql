-- No statement reads journeys_by_wake_at any more: the engine's claims take due journeys in the order of
-- journeys_due (state, wake_at), on PostgreSQL as on H2 (pg_stat_user_indexes over a benchmark run: no scan of it,
-- 64,194 of journeys_due). Kept, it was one more index entry written by every journey's insert and by each of its
-- updates that moves its state or its wake_at.
DROP INDEX journeys_by_wake_at;

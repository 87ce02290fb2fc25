-- Up Migration
-- A listing's name folded for matching (search_text: accents and case), stored: the stage compares
-- each staged record with the listings nearest to it, and folding their names again per record on
-- every run was a fifth of the matching query's time. Generated, so no writer can let it drift.
ALTER TABLE public.listings ADD COLUMN name_key text GENERATED ALWAYS AS (public.search_text(name)) STORED;

-- Down Migration
ALTER TABLE public.listings DROP COLUMN name_key;

-- Up Migration
-- A listing whose every shown record a person moved to other listings (a force-match or an unmerge on
-- the Mappings page) goes off the site as 'merged': kept for its history and its hidden records, and
-- saying why it is down, which 'removed' (hidden by an admin) would not. Listing status only: a DMO's
-- record (info_status) is never merged, it moves.
ALTER TABLE public.listings DROP CONSTRAINT listings_listing_status_check;
ALTER TABLE public.listings ADD CONSTRAINT listings_listing_status_check
  CHECK (listing_status IN ('active', 'missing_from_import', 'removed', 'archived', 'merged'));

-- Down Migration
UPDATE public.listings SET listing_status = 'removed' WHERE listing_status = 'merged';
ALTER TABLE public.listings DROP CONSTRAINT listings_listing_status_check;
ALTER TABLE public.listings ADD CONSTRAINT listings_listing_status_check
  CHECK (listing_status IN ('active', 'missing_from_import', 'removed', 'archived'));

CREATE INDEX ix_outings_partner ON outings (partner_id, stage);
CREATE INDEX ix_pair_members_participant ON pair_members (participant_id, pair_id);

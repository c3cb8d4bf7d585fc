-- Every repository of every snapshot with its lifecycle policy as scanned.
-- policy_known false: reading the policy failed, so "no policy" is unknown, not true.
CREATE OR REPLACE VIEW repository_policies AS
SELECT r.*, p.policy_text, p.repository_name IS NOT NULL AS policy_known
FROM ecr_repositories AS r
LEFT JOIN ecr_lifecycle_policies AS p
    ON p.snapshot_id = r.snapshot_id AND p.account_id = r.account_id
    AND p.region = r.region AND p.repository_name = r.repository_name

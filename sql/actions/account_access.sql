-- How each account was read: by snapshot $snapshot_id, or (NULL) by the newest snapshot that
-- recorded the account (a restore reaches the accounts its backup names).
SELECT account_id, role_name, external_id_used
FROM ecr_snapshot_access
WHERE $snapshot_id IS NULL OR snapshot_id = $snapshot_id
QUALIFY row_number() OVER (PARTITION BY account_id ORDER BY taken_at DESC, snapshot_id DESC) = 1
ORDER BY account_id

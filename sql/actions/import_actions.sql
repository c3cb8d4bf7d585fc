-- Action records kept in a JSON file (the sample organisation's history) into the action log.
INSERT OR REPLACE INTO policy_actions BY NAME
SELECT * REPLACE (CAST(acted_at AS TIMESTAMP) AS acted_at)
FROM read_json($path, format = 'array', columns = {
    action_id: 'VARCHAR', action: 'VARCHAR', status: 'VARCHAR', acted_at: 'VARCHAR',
    actor: 'VARCHAR', account_id: 'VARCHAR', region: 'VARCHAR', repository_name: 'VARCHAR',
    backup_id: 'VARCHAR', old_policy: 'VARCHAR', new_policy: 'VARCHAR',
    predicted_monthly_savings_usd: 'DOUBLE', predicted_freed_bytes: 'BIGINT', detail: 'VARCHAR'
})
